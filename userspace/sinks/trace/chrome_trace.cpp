#include "sinks/trace/chrome_trace.h"

#include <cstdio>

#include "core/overloaded.h"
#include "core/reclaim_tracker.h"
#include "core/untrusted_text.h"

namespace kst {
namespace {

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

ChromeTraceBuilder::ChromeTraceBuilder(TimeNs origin, std::ostream& out)
    : origin_(origin), out_(out), last_wakeup_sample_(origin) {
  // the object's keys in the order nlohmann::json wrote them when the trace
  // was built whole (sorted), with traceEvents streamed in between
  out_ << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  process_name(kPidCounters, "memory counters", 0);
  process_name(kPidHotadd, "memory hot-add", 3);
}

void ChromeTraceBuilder::emit(const nlohmann::json& ev) {
  // one event a line: a reader can follow the file as it grows
  out_ << (written_++ ? ",\n" : "\n") << json_text(ev);
}

void ChromeTraceBuilder::process_name(int pid, const std::string& name, int sort) {
  emit({{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"tid", pid}, {"args", {{"name", name}}}});
  emit({{"ph", "M"},
        {"name", "process_sort_index"},
        {"pid", pid},
        {"tid", pid},
        {"args", {{"sort_index", sort}}}});
}

int ChromeTraceBuilder::kswapd_pid(int32_t nid) {
  auto known = kswapd_pids_.find(nid);
  const int pid = known != kswapd_pids_.end() && known->second > 0 ? known->second : kPidKswapdUnknown + nid;
  auto [it, fresh] = named_nodes_.try_emplace(nid, pid);
  if (fresh || it->second != pid) {
    // kswapdN is a kernel thread, its own process (kernel/kthread.c); a
    // system trace names it the same
    it->second = pid;
    const std::string name = "kswapd" + std::to_string(nid);
    process_name(pid, name, 1);
    thread_name(pid, pid, name);
  }
  return pid;
}

double ChromeTraceBuilder::us(TimeNs ts) const {
  return ts >= origin_ ? (ts - origin_) / 1e3 : -((origin_ - ts) / 1e3);
}

void ChromeTraceBuilder::thread_name(int pid, int64_t tid, const std::string& name) {
  emit({{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}});
}

void ChromeTraceBuilder::counter(const std::string& name, TimeNs ts, const nlohmann::json& args) {
  emit({{"ph", "C"},
        {"name", name},
        {"pid", kPidCounters},
        {"tid", kPidCounters},
        {"ts", us(ts)},
        {"args", args}});
}

void ChromeTraceBuilder::instant(const std::string& name, TimeNs ts, const nlohmann::json& args, int pid,
                                 int64_t tid, const char* cat) {
  const bool hotadd = pid < 0;
  emit({{"ph", "i"},
        {"s", hotadd ? "p" : "t"},
        {"name", name},
        {"cat", cat},
        {"pid", hotadd ? kPidHotadd : pid},
        {"tid", hotadd ? kPidHotadd : tid},
        {"ts", us(ts)},
        {"args", args}});
}

void ChromeTraceBuilder::mark(const std::string& name, TimeNs ts, const nlohmann::json& args) {
  emit({{"ph", "i"},
        {"s", "g"},
        {"name", name},
        {"cat", "recording"},
        {"pid", kPidCounters},
        {"tid", kPidCounters},
        {"ts", us(ts)},
        {"args", args}});
}

void ChromeTraceBuilder::on_event(const Event& e) {
  // Exhaustive: a new Event alternative fails to compile until it is exported.
  std::visit(
      Overloaded{
          [&](const KswapdWake& x) {
            kswapd_pid(x.nid);
            auto [it, fresh] = awake_.try_emplace(x.nid);
            if (fresh) it->second = Awake{e.ts, 0, x.order, x.zid};
            ++it->second.passes;
          },
          [&](const KswapdSleep& x) {
            const int pid = kswapd_pid(x.nid);
            auto it = awake_.find(x.nid);
            if (it == awake_.end()) return;  // woke before the recording started
            const Awake& a = it->second;
            emit({{"ph", "X"},
                  {"name", "kswapd awake"},
                  {"cat", "kswapd"},
                  {"pid", pid},
                  {"tid", pid},
                  {"ts", us(a.since)},
                  {"dur", (e.ts - a.since) / 1e3},
                  {"args",
                   {{"balance_passes", a.passes}, {"order", a.order}, {"zid", a.zid}, {"nid", x.nid}}}});
            awake_.erase(it);
          },
          [&](const WakeupKswapd& x) { ++wakeup_requests_[x.nid]; },
          [&](const DirectReclaim& x) {
            // The record holds the task's tid, not its thread group: the
            // slice goes on thread tid of process tid, which is the task's
            // real place for a single-threaded process or a main thread.
            auto& name = named_tasks_[x.pid];
            if (name != x.comm) {
              name = x.comm;
              thread_name(static_cast<int>(x.pid), x.pid, x.comm);
            }
            const TimeNs b = x.begin_ns ? x.begin_ns : e.ts;
            emit({{"ph", "X"},
                  {"name", x.memcg ? "memcg reclaim" : "direct reclaim"},
                  {"cat", "reclaim"},
                  {"pid", x.pid},
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
          [&](const KswapdCpuSample& x) {
            for (const auto& t : x.threads)
              if (t.pid > 0) kswapd_pids_[t.nid] = t.pid;
          },
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
            const int pid = kswapd_pid(v.nid);
            nlohmann::json ev = nlohmann::json::object();
            for (const auto& [k, val] : v.evidence)
              ev[k] = val < 0 ? nlohmann::json(nullptr) : nlohmann::json(val);
            instant(v.kind + (x.raised ? " raised" : " cleared"), e.ts,
                    {{"severity", v.severity},
                     {"since_us", us(v.since)},
                     {"message", v.message},
                     {"advice", v.advice},
                     {"evidence", ev}},
                    pid, pid, "verdict");
          },
      },
      e.data);
}

void ChromeTraceBuilder::finish(TimeNs end, const nlohmann::json& other) {
  for (const auto& [nid, a] : awake_) {
    const int pid = kswapd_pid(nid);
    emit(
        {{"ph", "X"},
         {"name", "kswapd awake"},
         {"cat", "kswapd"},
         {"pid", pid},
         {"tid", pid},
         {"ts", us(a.since)},
         {"dur", (end > a.since ? end - a.since : 0) / 1e3},
         {"args",
          {{"balance_passes", a.passes}, {"order", a.order}, {"zid", a.zid}, {"nid", nid}, {"open", true}}}});
  }
  awake_.clear();
  out_ << "\n],\"otherData\":" << json_text(other) << "}\n";
  out_.flush();
}

}  // namespace kst
