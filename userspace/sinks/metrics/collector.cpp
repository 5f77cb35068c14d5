#include "sinks/metrics/collector.h"

#include <tuple>

#include "core/hazards.h"
#include "core/untrusted_text.h"

namespace kst::metrics {
namespace {

constexpr double kNs = 1e9;

std::string node_label(int32_t nid) { return nid < 0 ? "unknown" : std::to_string(nid); }

std::string zone_name(int32_t nid, int32_t zid, const std::optional<ZoneSample>& zs) {
  if (nid < 0 || zid < 0) return "unknown";
  if (zs)
    for (const auto& z : zs->zones)
      if (z.nid == nid && z.zid == zid) return z.name;
  return "zid" + std::to_string(zid);  // bounded: MAX_NR_ZONES slots
}

using CellKey = std::tuple<int32_t, int32_t, uint8_t, uint8_t, uint8_t>;
CellKey key_of(const AllocCell& c) { return {c.nid, c.zid, c.order, c.migratetype, c.gfp_class}; }

}  // namespace

const std::vector<std::string>& verdict_kinds() {
  static const std::vector<std::string> k = {"LIVELOCK",       "FUTILE-RECLAIM",  "HIGH-ORDER-CHURN",
                                             "THRASHING",      "WATERMARK-BOOST", "TINY-ZONE",
                                             "HEALTHY-RECLAIM"};
  return k;
}

std::string order_label(int order) { return order >= 11 ? "11+" : std::to_string(std::max(order, 0)); }

MetricsCollector::MetricsCollector(const SourceInfo& src, const std::string& version, TimeNs start,
                                   const std::string& cgroup)
    : start_(start), page_size_(src.page_size ? src.page_size : 4096) {
  HotAddOptions ho;
  ho.page_size = page_size_;
  hotadd_ = HotAddTracker(ho);
  Labels info{{"version", version}, {"kernel", src.kernel_release}, {"backend", src.backend}};
  // a cgroup-limited agent says so: its reclaim and allocation series count only that cgroup
  if (!cgroup.empty()) info["cgroup"] = to_valid_utf8(cgroup);
  m_.set("kswaptrace_build_info", info, 1);
  for (const char* h : {"kswaptrace_direct_reclaim_stall_seconds", "kswaptrace_memcg_reclaim_stall_seconds"})
    m_.touch(h, {});
  for (const char* kind : {"kswapd", "direct", "memcg"})
    m_.touch("kswaptrace_reclaimed_pages_total", {{"kind", kind}});
  for (const char* c :
       {"kswaptrace_hotadd_episodes_total", "kswaptrace_hotadd_bytes_total", "kswaptrace_lost_events_total"})
    m_.touch(c, {});
}

MetricsCollector::KswapdNode& MetricsCollector::node(int32_t nid) {
  auto [it, fresh] = kswapd_.try_emplace(nid);
  if (fresh) {
    const Labels l = {{"node", node_label(nid)}};
    for (const char* c : {"kswaptrace_kswapd_wakes_total", "kswaptrace_kswapd_sleeps_total",
                          "kswaptrace_kswapd_rewakes_total", "kswaptrace_kswapd_awake_seconds_total",
                          "kswaptrace_kswapd_awake_episode_seconds"})
      m_.touch(c, l);
    it->second.acc_from = start_;
  }
  return it->second;
}

void MetricsCollector::on(TimeNs ts, const KswapdWake& e) {
  KswapdNode& n = node(e.nid);
  const Labels l = {{"node", node_label(e.nid)}};
  m_.add("kswaptrace_kswapd_wakes_total", l, 1);
  n.seen = true;
  if (n.awake) {  // a new balance_pgdat() pass without sleeping (as KswapdTracker counts it)
    m_.add("kswaptrace_kswapd_rewakes_total", l, 1);
    return;
  }
  n.awake = true;
  n.since = ts;
  n.acc_from = ts;
}

void MetricsCollector::on(TimeNs ts, const KswapdSleep& e) {
  KswapdNode& n = node(e.nid);
  const bool fresh = !n.seen;
  const Labels l = {{"node", node_label(e.nid)}};
  m_.add("kswaptrace_kswapd_sleeps_total", l, 1);
  // A sleep with no wake seen began before this run: awake since the start.
  if (n.awake || fresh) {
    if (ts > n.acc_from) m_.add("kswaptrace_kswapd_awake_seconds_total", l, (ts - n.acc_from) / kNs);
    if (n.awake)
      m_.observe("kswaptrace_kswapd_awake_episode_seconds", l, ts > n.since ? (ts - n.since) / kNs : 0);
  }
  n.awake = false;
  n.seen = true;
  n.acc_from = ts;
}

void MetricsCollector::on(const DirectReclaim& e) {
  const double s = e.end_ns > e.begin_ns ? (e.end_ns - e.begin_ns) / kNs : 0;
  m_.observe(e.memcg ? "kswaptrace_memcg_reclaim_stall_seconds" : "kswaptrace_direct_reclaim_stall_seconds",
             {}, s);
  m_.add("kswaptrace_reclaimed_pages_total", {{"kind", e.memcg ? "memcg" : "direct"}},
         static_cast<double>(e.nr_reclaimed));
}

void MetricsCollector::on(const AllocCounters& e) {
  std::map<CellKey, uint64_t> prev;
  if (alloc_prev_)
    for (const auto& c : alloc_prev_->cells) prev[key_of(c)] = c.calls;
  for (const auto& c : e.cells) {
    const Labels ol = {{"order", order_label(c.order)}};
    const Labels zl = {{"node", node_label(c.nid)}, {"zone", zone_name(c.nid, c.zid, zones_)}};
    uint64_t d = 0;
    if (alloc_prev_) {  // the first sample of a run is the baseline
      const uint64_t before = prev.count(key_of(c)) ? prev[key_of(c)] : 0;
      d = c.calls > before ? c.calls - before : 0;
    }
    const double pages =
        static_cast<double>(d) * static_cast<double>(uint64_t{1} << std::min<int>(c.order, 63));
    m_.add("kswaptrace_page_alloc_calls_total", ol, static_cast<double>(d));
    m_.add("kswaptrace_page_alloc_pages_total", ol, pages);
    m_.add("kswaptrace_page_alloc_zone_pages_total", zl, pages);
  }
  alloc_prev_ = e;
}

void MetricsCollector::on(const VmstatSample& e) {
  auto it = e.counters.find("pgsteal_kswapd");
  if (it == e.counters.end()) return;
  if (pgsteal_prev_ && it->second > *pgsteal_prev_)
    m_.add("kswaptrace_reclaimed_pages_total", {{"kind", "kswapd"}},
           static_cast<double>(it->second - *pgsteal_prev_));
  pgsteal_prev_ = it->second;
}

void MetricsCollector::on(const KswapdCpuSample& e) {
  for (const auto& t : e.threads) {
    const Labels l = {{"node", node_label(t.nid)}};
    auto it = cpu_prev_.find(t.nid);
    // a new thread (kswapd restarted, node onlined) starts a new baseline
    if (it != cpu_prev_.end() && it->second.first == t.pid && t.cpu_ns > it->second.second)
      m_.add("kswaptrace_kswapd_cpu_seconds_total", l, (t.cpu_ns - it->second.second) / kNs);
    else
      m_.add("kswaptrace_kswapd_cpu_seconds_total", l, 0);
    cpu_prev_[t.nid] = {t.pid, t.cpu_ns};
  }
}

void MetricsCollector::on(const ProbeCounters& e) {
  if (drops_prev_ && e.ringbuf_drops > *drops_prev_)
    m_.add("kswaptrace_lost_events_total", {}, static_cast<double>(e.ringbuf_drops - *drops_prev_));
  drops_prev_ = e.ringbuf_drops;
}

void MetricsCollector::on(const ZoneSample& e) {
  zones_ = e;
  for (const auto& z : e.zones) {
    node(z.nid);  // kswapd series exist (at 0) for every node, before its first wake
    if (!z.populated() && z.managed == 0) continue;  // empty zone slots add no information
    const Labels l = {{"node", node_label(z.nid)}, {"zone", z.name}};
    m_.set("kswaptrace_zone_managed_pages", l, static_cast<double>(z.managed));
    m_.set("kswaptrace_zone_free_pages", l, static_cast<double>(z.free));
    m_.set("kswaptrace_zone_min_pages", l, static_cast<double>(z.min));
    m_.set("kswaptrace_zone_low_pages", l, static_cast<double>(z.low));
    m_.set("kswaptrace_zone_high_pages", l, static_cast<double>(z.high));
  }
}

void MetricsCollector::on_event(const Event& e) {
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, KswapdWake> || std::is_same_v<T, KswapdSleep>)
          on(e.ts, d);
        else if constexpr (std::is_same_v<T, DirectReclaim> || std::is_same_v<T, AllocCounters> ||
                           std::is_same_v<T, VmstatSample> || std::is_same_v<T, KswapdCpuSample> ||
                           std::is_same_v<T, ProbeCounters> || std::is_same_v<T, ZoneSample>)
          on(d);
        if constexpr (std::is_same_v<T, MemoryBlockEvent> || std::is_same_v<T, HotplugCall> ||
                      std::is_same_v<T, BalloonSample> || std::is_same_v<T, ZoneSample>)
          hotadd_.on(e.ts, d);
        if constexpr (std::is_same_v<T, ZoneSample>) settling_.on(e.ts, d.zones);
      },
      e.data);
}

void MetricsCollector::hazards(TimeNs now) {
  std::set<Labels> present;
  if (zones_) {
    // a zone onlining memory is tiny for a moment: its hazards wait until it is stable
    std::vector<Hazard> hz =
        settling_.settled_only(zone_hazards(zones_->zones, zones_->min_free_kbytes, page_size_), now);
    if (last_hotadd_)  // the watermarks of the zones the last hot-add joined, as they are now
      for (auto& h : hotadd_hazards(*last_hotadd_, zones_->zones, zones_->min_free_kbytes, page_size_))
        hz.push_back(std::move(h));
    for (const auto& h : hz)
      present.insert({{"node", node_label(h.nid)}, {"zone", h.zone}, {"kind", h.kind}});
  }
  hazard_series_.insert(present.begin(), present.end());
  for (const auto& l : hazard_series_) m_.set("kswaptrace_hazard", l, present.count(l) ? 1 : 0);
}

void MetricsCollector::on_tick(TimeNs now, const std::vector<Verdict>& verdicts) {
  for (auto& [nid, n] : kswapd_)
    if (n.awake && now > n.acc_from) {  // an episode still open: a livelocked kswapd never sleeps
      m_.add("kswaptrace_kswapd_awake_seconds_total", {{"node", node_label(nid)}}, (now - n.acc_from) / kNs);
      n.acc_from = now;
    }
  hotadd_.advance(now);
  for (const auto& h : hotadd_.take_settled()) {
    if (h.kind != "hot-add") continue;
    m_.add("kswaptrace_hotadd_episodes_total", {}, 1);
    const double bytes = h.has_range && h.phys_end > h.phys_start
                             ? static_cast<double>(h.phys_end - h.phys_start)
                             : static_cast<double>(std::max<int64_t>(h.present_delta, 0)) * page_size_;
    m_.add("kswaptrace_hotadd_bytes_total", {}, bytes);
    last_hotadd_ = h;
  }
  hazards(now);

  std::set<int32_t> nodes;
  for (const auto& [nid, n] : kswapd_) nodes.insert(nid);
  if (zones_)
    for (const auto& z : zones_->zones) nodes.insert(z.nid);
  for (const auto& v : verdicts) nodes.insert(v.nid);
  for (int32_t nid : nodes)
    for (const auto& kind : verdict_kinds()) {
      bool on = false;
      for (const auto& v : verdicts) on = on || (v.nid == nid && v.kind == kind && !v.pending);
      m_.set("kswaptrace_verdict", {{"node", node_label(nid)}, {"verdict", kind}}, on ? 1 : 0);
    }
}

}  // namespace kst::metrics
