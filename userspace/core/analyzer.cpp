#include "core/analyzer.h"

#include <algorithm>

#include "core/detector.h"  // kernel_version()
#include "core/overloaded.h"

namespace kst {
namespace {

bool reclaim_related(const std::string& k) {
  static const char* kPrefixes[] = {
      "pageoutrun",    "allocstall",    "pgscan_",      "pgsteal_",        "pgalloc_",           "kswapd_",
      "slabs_scanned", "compact_stall", "compact_fail", "compact_success", "workingset_refault", "pswpin",
      "pswpout",       "oom_kill",      "pgmajfault",   "pgrefill"};
  for (const char* p : kPrefixes)
    if (k.rfind(p, 0) == 0) return true;
  return false;
}

std::string zone_name(const std::optional<ZoneSample>& zs, int32_t nid, int32_t zid) {
  if (zs)
    for (const auto& z : zs->zones)
      if (z.nid == nid && z.zid == zid) return z.name;
  return "zid" + std::to_string(zid);
}

ShrinkStat minus(const ShrinkStat& a, const ShrinkStat& b) {
  auto d = [](uint64_t x, uint64_t y) { return x > y ? x - y : 0; };
  return {d(a.calls, b.calls), d(a.scanned, b.scanned), d(a.reclaimed, b.reclaimed)};
}

}  // namespace

Analyzer::Analyzer(SourceInfo source, TimeNs window_start)
    : source_(std::move(source)),
      start_(window_start),
      kswapd_(window_start),
      hotadd_(HotAddOptions{.page_size = source_.page_size}) {}

void Analyzer::on_event(const Event& e) {
  std::visit(Overloaded{
                 [&](const KswapdWake& x) { kswapd_.on(e.ts, x); },
                 [&](const KswapdSleep& x) { kswapd_.on(e.ts, x); },
                 [&](const WakeupKswapd& x) { kswapd_.on(e.ts, x); },
                 [&](const DirectReclaim& x) { reclaim_.on(e.ts, x); },
                 [&](const ReclaimCounters& x) { shrink_.add(x); },
                 [&](const AllocCounters& x) { alloc_.add(x); },
                 [&](const ProbeCounters& x) { probe_.add(x); },
                 [&](const VmstatSample& x) { vmstat_.add(x); },
                 [&](const ZoneSample& x) {
                   last_zones_ = x;
                   settling_.on(e.ts, x.zones);
                   hotadd_.on(e.ts, x);
                 },
                 [&](const KswapdCpuSample& x) { cpu_.add(x); },
                 [&](const MemoryBlockEvent& x) { hotadd_.on(e.ts, x); },
                 [&](const BalloonSample& x) { hotadd_.on(e.ts, x); },
                 [&](const HotplugCall& x) { hotadd_.on(e.ts, x); },
                 [&](const VerdictChange& x) {
                   recorded_verdicts_.push_back({e.ts, x});
                 },
             },
             e.data);
}

Summary Analyzer::summary(TimeNs end) const {
  Summary s;
  s.source = source_;
  s.start = start_;
  s.end = std::max(end, start_);
  s.duration_s = (s.end - s.start) / 1e9;
  const double dur = s.duration_s;

  // kswapd per node, joined with shrink counters and CPU time
  std::map<int32_t, KswapdNodeSummary> nodes;
  auto node = [&](int32_t nid) -> KswapdNodeSummary& {
    auto [it, inserted] = nodes.try_emplace(nid);
    if (inserted) it->second.nid = nid;
    return it->second;
  };
  if (last_zones_)
    for (const auto& z : last_zones_->zones) node(z.nid);
  for (const auto& [nid, st] : kswapd_.nodes()) {
    KswapdNodeSummary& n = node(nid);
    n.wakes = st.wakes;
    n.sleeps = st.sleeps;
    n.rewakes = st.rewakes;
    n.episodes = st.episodes;
    n.awake_s = st.awake_ns(s.end) / 1e9;
    n.duty_cycle = dur > 0 ? std::min(1.0, n.awake_s / dur) : 0;
    n.awake_at_end = st.awake;
    n.open_episode_s = st.awake && s.end > st.awake_since ? (s.end - st.awake_since) / 1e9 : 0;
    n.longest_episode_s = std::max(st.longest_episode_ns / 1e9, n.open_episode_s);
    n.episode_us = st.episode_us;
    n.wakeup_requests = st.wakeup_requests;
    for (const auto& [zo, cnt] : st.requests_by_zone_order)
      n.requests.push_back({zo.first, zone_name(last_zones_, nid, zo.first), zo.second, cnt});
    std::sort(n.requests.begin(), n.requests.end(),
              [](const auto& a, const auto& b) { return a.count > b.count; });
  }
  if (shrink_.last) {
    for (const auto& ln : shrink_.last->nodes) {
      ReclaimCounters::Node base;
      if (shrink_.first)
        for (const auto& fn : shrink_.first->nodes)
          if (fn.nid == ln.nid) base = fn;
      KswapdNodeSummary& n = node(ln.nid);
      n.have_shrink = true;
      n.kswapd_shrink = minus(ln.kswapd, base.kswapd);
      n.other_shrink = minus(ln.other, base.other);
      n.efficiency = n.kswapd_shrink.scanned
                         ? static_cast<double>(n.kswapd_shrink.reclaimed) / n.kswapd_shrink.scanned
                         : 0;
    }
  }
  if (cpu_.last && cpu_.first) {
    for (const auto& t : cpu_.last->threads) {
      for (const auto& f : cpu_.first->threads) {
        if (f.pid != t.pid) continue;
        KswapdNodeSummary& n = node(t.nid);
        n.have_cpu = true;
        n.cpu_s += (t.cpu_ns > f.cpu_ns ? t.cpu_ns - f.cpu_ns : 0) / 1e9;
        n.cpu_pct = dur > 0 ? 100.0 * n.cpu_s / dur : 0;
      }
    }
  }
  for (auto& [nid, n] : nodes) s.nodes.push_back(std::move(n));

  s.direct = reclaim_.state();

  if (last_zones_) {
    s.zones = last_zones_->zones;
    s.min_free_kbytes = last_zones_->min_free_kbytes;
    s.hazards = settling_.settled_only(zone_hazards(s.zones, s.min_free_kbytes, source_.page_size), s.end);
    s.settling = settling_.settling_zones(s.end);
    s.settle_delay_s = settling_.delay_ns() / 1e9;
  }
  if (alloc_.last)
    s.alloc =
        summarize_allocs(alloc_.first ? *alloc_.first : AllocCounters{}, *alloc_.last, dur, source_, s.zones);

  if (vmstat_.first && vmstat_.last) {
    s.have_vmstat = true;
    uint64_t allocstall = 0, pgalloc = 0;
    for (const auto& [k, v] : vmstat_.last->counters) {
      if (!reclaim_related(k)) continue;
      auto it = vmstat_.first->counters.find(k);
      const uint64_t b = it == vmstat_.first->counters.end() ? 0 : it->second;
      const uint64_t d = v > b ? v - b : 0;
      s.vmstat_delta[k] = d;
      if (k.rfind("allocstall", 0) == 0) allocstall += d;
      if (k.rfind("pgalloc_", 0) == 0) pgalloc += d;
    }
    s.vmstat_delta["allocstall_total"] = allocstall;
    s.vmstat_delta["pgalloc_total"] = pgalloc;
    if (s.alloc.available) {
      // alloc_pages_bulk() arrived in 5.13 (commit 387ba26fb1cb, "mm/page_alloc: add a bulk page allocator")
      const auto [maj, min] = kernel_version(source_.kernel_release);
      s.alloc.bulk_applies = maj > 5 || (maj == 5 && min >= 13);
      s.alloc.pgalloc_minus_traced =
          static_cast<int64_t>(pgalloc) - static_cast<int64_t>(s.alloc.total_pages);
    }
  }
  if (probe_.last) {
    const ProbeCounters b = probe_.first ? *probe_.first : ProbeCounters{};
    s.lost_events = probe_.last->ringbuf_drops - std::min(b.ringbuf_drops, probe_.last->ringbuf_drops);
    s.reclaim_unpaired =
        probe_.last->reclaim_unpaired - std::min(b.reclaim_unpaired, probe_.last->reclaim_unpaired);
  }
  HotAddTracker hot = hotadd_;  // settle what has been quiet long enough by the window's end
  hot.advance(s.end);
  s.hotadd = hot.findings();
  s.hotadd_events = hot.events_by_source();
  s.recorded_verdicts = recorded_verdicts_;
  return s;
}

}  // namespace kst
