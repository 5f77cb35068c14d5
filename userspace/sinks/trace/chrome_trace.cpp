#include "sinks/trace/chrome_trace.h"

#include <cstdio>

#include "core/reclaim_tracker.h"

namespace kst {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr int kPidKswapd = 1;
constexpr int kPidReclaim = 2;
constexpr int kPidCounters = 3;
constexpr int kPidHotadd = 4;

const char* call_name(HotplugCall::Kind k) {
  switch (k) {
    case HotplugCall::AddMemory: return "add_memory";
    case HotplugCall::OnlinePages: return "online_pages";
    case HotplugCall::SetupWmarks: return "setup_per_zone_wmarks";
    case HotplugCall::ZoneWmarks: return "zone watermarks";
    case HotplugCall::LowmemReserve: return "lowmem_reserve";
  }
  return "hotplug call";
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

ChromeTraceBuilder::ChromeTraceBuilder(TimeNs origin) : origin_(origin), last_wakeup_sample_(origin) {
  auto proc = [&](int pid, const char* name, int sort) {
    events_.push_back(
        {{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"tid", 0}, {"args", {{"name", name}}}});
    events_.push_back({{"ph", "M"},
                       {"name", "process_sort_index"},
                       {"pid", pid},
                       {"tid", 0},
                       {"args", {{"sort_index", sort}}}});
  };
  proc(kPidKswapd, "kswapd", 1);
  proc(kPidReclaim, "direct reclaim", 2);
  proc(kPidCounters, "memory counters", 0);
  proc(kPidHotadd, "memory hot-add", 3);
}

double ChromeTraceBuilder::us(TimeNs ts) const {
  return ts >= origin_ ? (ts - origin_) / 1e3 : -((origin_ - ts) / 1e3);
}

void ChromeTraceBuilder::thread_name(int pid, int64_t tid, const std::string& name) {
  events_.push_back(
      {{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}});
}

void ChromeTraceBuilder::counter(const std::string& name, TimeNs ts, const nlohmann::json& args) {
  events_.push_back(
      {{"ph", "C"}, {"name", name}, {"pid", kPidCounters}, {"tid", 0}, {"ts", us(ts)}, {"args", args}});
}

void ChromeTraceBuilder::instant(const std::string& name, TimeNs ts, const nlohmann::json& args, int pid,
                                 int64_t tid, const char* cat) {
  const bool hotadd = pid < 0;
  events_.push_back({{"ph", "i"},
                     {"s", hotadd ? "p" : "t"},
                     {"name", name},
                     {"cat", cat},
                     {"pid", hotadd ? kPidHotadd : pid},
                     {"tid", hotadd ? 0 : tid},
                     {"ts", us(ts)},
                     {"args", args}});
}

void ChromeTraceBuilder::mark(const std::string& name, TimeNs ts, const nlohmann::json& args) {
  events_.push_back({{"ph", "i"},
                     {"s", "g"},
                     {"name", name},
                     {"cat", "recording"},
                     {"pid", kPidKswapd},
                     {"tid", 0},
                     {"ts", us(ts)},
                     {"args", args}});
}

void ChromeTraceBuilder::on_event(const Event& e) {
  auto node_thread = [&](int32_t nid) {
    if (!named_nodes_[nid]) {
      named_nodes_[nid] = true;
      thread_name(kPidKswapd, nid, "kswapd" + std::to_string(nid));
    }
  };
  // Exhaustive: a new Event alternative fails to compile until it is exported.
  std::visit(
      Overloaded{
          [&](const KswapdWake& x) {
            node_thread(x.nid);
            auto [it, fresh] = awake_.try_emplace(x.nid);
            if (fresh) it->second = Awake{e.ts, 0, x.order, x.zid};
            ++it->second.passes;
          },
          [&](const KswapdSleep& x) {
            node_thread(x.nid);
            auto it = awake_.find(x.nid);
            if (it == awake_.end()) return;  // woke before the recording started
            const Awake& a = it->second;
            events_.push_back({{"ph", "X"},
                               {"name", "kswapd awake"},
                               {"cat", "kswapd"},
                               {"pid", kPidKswapd},
                               {"tid", x.nid},
                               {"ts", us(a.since)},
                               {"dur", (e.ts - a.since) / 1e3},
                               {"args", {{"balance_passes", a.passes}, {"order", a.order}, {"zid", a.zid}}}});
            awake_.erase(it);
          },
          [&](const WakeupKswapd& x) { ++wakeup_requests_[x.nid]; },
          [&](const DirectReclaim& x) {
            auto& name = named_tasks_[x.pid];
            if (name != x.comm) {
              name = x.comm;
              thread_name(kPidReclaim, x.pid, x.comm + " (" + std::to_string(x.pid) + ")");
            }
            const TimeNs b = x.begin_ns ? x.begin_ns : e.ts;
            events_.push_back({{"ph", "X"},
                               {"name", x.memcg ? "memcg reclaim" : "direct reclaim"},
                               {"cat", "reclaim"},
                               {"pid", kPidReclaim},
                               {"tid", x.pid},
                               {"ts", us(b)},
                               {"dur", (x.end_ns > b ? x.end_ns - b : 0) / 1e3},
                               {"args",
                                {{"comm", x.comm},
                                 {"order", x.order},
                                 {"gfp", hex(x.gfp)},
                                 {"nr_reclaimed", x.nr_reclaimed},
                                 {"cgroup", cgroup_key(x)}}}});
          },
          [&](const ReclaimCounters&) {},
          [&](const AllocCounters& x) {
            uint64_t pages = 0;
            for (const auto& c : x.cells) pages += c.calls << c.order;
            if (last_alloc_ && e.ts > last_alloc_->first) {
              const double dt = (e.ts - last_alloc_->first) / 1e9;
              const uint64_t d = pages > last_alloc_->second ? pages - last_alloc_->second : 0;
              counter("page allocations (pages/s)", last_alloc_->first, {{"pages/s", d / dt}});
            }
            last_alloc_ = {e.ts, pages};
          },
          [&](const ProbeCounters& x) {
            if (!first_drops_) first_drops_ = x.ringbuf_drops;
            counter("lost ring-buffer records", e.ts,
                    {{"records", x.ringbuf_drops - std::min(*first_drops_, x.ringbuf_drops)}});
          },
          [&](const VmstatSample&) {},
          [&](const ZoneSample& x) {
            for (const auto& z : x.zones)
              if (z.populated())
                counter("free pages node" + std::to_string(z.nid) + "/" + z.name, e.ts, {{"pages", z.free}});
            // wakeup requests are too many to draw one by one: a rate per sample interval
            if (e.ts > last_wakeup_sample_) {
              const double dt = (e.ts - last_wakeup_sample_) / 1e9;
              for (auto& [nid, n] : wakeup_requests_) {
                counter("kswapd wakeup requests/s node" + std::to_string(nid), last_wakeup_sample_,
                        {{"requests/s", n / dt}});
                n = 0;
              }
              last_wakeup_sample_ = e.ts;
            }
          },
          [&](const KswapdCpuSample&) {},
          [&](const MemoryBlockEvent& x) {
            instant("memory" + std::to_string(x.block) + " " + x.action, e.ts,
                    {{"block", x.block},
                     {"block_size", x.block_size},
                     {"phys_index", x.phys_index},
                     {"state", x.state},
                     {"valid_zones", x.valid_zones},
                     {"seqnum", x.seqnum}});
          },
          [&](const BalloonSample& x) {
            nlohmann::json a = nlohmann::json::object();
            if (x.target_kb >= 0) a["target_kb"] = x.target_kb;
            if (x.current_kb >= 0) a["current_kb"] = x.current_kb;
            if (!a.empty()) counter("xen balloon", e.ts, a);
          },
          [&](const HotplugCall& x) {
            nlohmann::json a = {{"via", x.via}, {"nid", x.nid}, {"zid", x.zid}, {"zone", x.zone}};
            switch (x.kind) {
              case HotplugCall::AddMemory:
              case HotplugCall::OnlinePages:
                a["start_pfn"] = x.start_pfn;
                a["nr_pages"] = x.nr_pages;
                break;
              case HotplugCall::ZoneWmarks:
                a["min"] = x.min;
                a["low"] = x.low;
                a["high"] = x.high;
                break;
              case HotplugCall::LowmemReserve:
                a["upper_zone"] = x.upper_zone;
                a["lowmem_reserve"] = x.lowmem_reserve;
                break;
              case HotplugCall::SetupWmarks: break;
            }
            if (x.managed >= 0) a["managed"] = x.managed;
            if (x.present >= 0) a["present"] = x.present;
            instant(call_name(x.kind), e.ts, a);
          },
          [&](const VerdictChange& x) {
            // on the node's kswapd track, where the episodes it is about are drawn
            const Verdict& v = x.verdict;
            node_thread(v.nid);
            nlohmann::json ev = nlohmann::json::object();
            for (const auto& [k, val] : v.evidence)
              ev[k] = val < 0 ? nlohmann::json(nullptr) : nlohmann::json(val);
            instant(v.kind + (x.raised ? " raised" : " cleared"), e.ts,
                    {{"severity", v.severity},
                     {"since_us", us(v.since)},
                     {"message", v.message},
                     {"advice", v.advice},
                     {"evidence", ev}},
                    kPidKswapd, v.nid, "verdict");
          },
      },
      e.data);
}

nlohmann::json ChromeTraceBuilder::finish(TimeNs end, const nlohmann::json& other) {
  for (const auto& [nid, a] : awake_)
    events_.push_back(
        {{"ph", "X"},
         {"name", "kswapd awake"},
         {"cat", "kswapd"},
         {"pid", kPidKswapd},
         {"tid", nid},
         {"ts", us(a.since)},
         {"dur", (end > a.since ? end - a.since : 0) / 1e3},
         {"args", {{"balance_passes", a.passes}, {"order", a.order}, {"zid", a.zid}, {"open", true}}}});
  awake_.clear();
  nlohmann::json j;
  j["traceEvents"] = std::move(events_);
  j["displayTimeUnit"] = "ms";
  j["otherData"] = other;
  events_ = nlohmann::json::array();
  return j;
}

}  // namespace kst
