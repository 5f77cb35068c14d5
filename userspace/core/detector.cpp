#include "core/detector.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/hazards.h"
#include "core/overloaded.h"

namespace kst {
namespace {

constexpr double kNs = 1e9;

std::string fmt(const char* f, auto... args) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

uint64_t d(uint64_t now, uint64_t then) { return now > then ? now - then : 0; }

// Sum of the counters named `key` or `key_*` (4.4 splits pgscan_kswapd,
// pgsteal_kswapd and allocstall per zone; 5.9+ splits workingset_refault
// into _anon/_file). `pgscan_direct_throttle` is a different counter.
uint64_t vm_sum(const VmstatSample& v, const std::string& key) {
  uint64_t sum = 0;
  for (auto it = v.counters.lower_bound(key); it != v.counters.end(); ++it) {
    const std::string& k = it->first;
    if (k.compare(0, key.size(), key) != 0) break;
    if (k.size() != key.size() && k[key.size()] != '_') continue;
    if (k.find("_throttle") != std::string::npos) continue;
    sum += it->second;
  }
  return sum;
}

uint64_t vm_get(const VmstatSample& v, const char* key) {
  auto it = v.counters.find(key);
  return it == v.counters.end() ? 0 : it->second;
}

// Pages on the zone's LRU lists: 4.8+ names them nr_zone_*, 4.4 nr_*.
uint64_t zone_lru(const ZoneInfo& z) {
  uint64_t sum = 0;
  for (const char* k :
       {"nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file", "nr_zone_active_file"})
    sum += z.stat(k);
  if (sum) return sum;
  for (const char* k : {"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file"})
    sum += z.stat(k);
  return sum;
}

int rank(const std::string& kind) {
  static const char* kOrder[] = {"LIVELOCK",        "FUTILE-RECLAIM", "HIGH-ORDER-CHURN", "THRASHING",
                                 "WATERMARK-BOOST", "TINY-ZONE",      "HEALTHY-RECLAIM"};
  for (int i = 0; i < 7; i++)
    if (kind == kOrder[i]) return i;
  return 99;
}

double pct(double x) { return 100.0 * x; }

}  // namespace

std::vector<VerdictChange> VerdictChanges::update(const std::vector<Verdict>& now) {
  std::map<std::pair<int32_t, std::string>, Verdict> cur;
  for (const auto& v : now) cur.emplace(std::make_pair(v.nid, v.kind), v);
  std::vector<VerdictChange> out;
  for (const auto& [k, v] : shown_)
    if (!cur.count(k)) out.push_back({false, v});
  for (const auto& [k, v] : cur)
    if (!shown_.count(k)) out.push_back({true, v});
  shown_ = std::move(cur);
  return out;
}

void VerdictsInForce::on(const VerdictChange& c) {
  const auto key = std::make_pair(c.verdict.nid, c.verdict.kind);
  if (c.raised)
    in_force_[key] = c;
  else
    in_force_.erase(key);
}

std::vector<VerdictChange> VerdictsInForce::take() {
  std::vector<VerdictChange> out;
  for (auto& [k, c] : in_force_) out.push_back(std::move(c));
  in_force_.clear();
  return out;
}

std::string verdict_key(const std::string& kind) {
  if (kind == "FUTILE-RECLAIM") return "futile";
  if (kind == "HIGH-ORDER-CHURN") return "churn";
  if (kind == "THRASHING") return "thrash";
  if (kind == "WATERMARK-BOOST") return "boost";
  if (kind == "HEALTHY-RECLAIM") return "healthy";
  std::string k = kind;
  for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;  // "livelock", "tiny-zone"
}

const char* const* verdict_kinds_printed() {
  static const char* const kinds[] = {"LIVELOCK",        "FUTILE-RECLAIM", "HIGH-ORDER-CHURN", "THRASHING",
                                      "WATERMARK-BOOST", "TINY-ZONE",      "HEALTHY-RECLAIM",  nullptr};
  return kinds;
}

std::string verdict_key_from_name(const std::string& name) {
  std::string up = name;
  for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up == "ANY") return "any";
  for (const char* const* k = verdict_kinds_printed(); *k; ++k) {
    const std::string key = verdict_key(*k);
    std::string key_up = key;
    for (auto& c : key_up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (up == *k || up == key_up) return key;
  }
  return "";
}

std::pair<int, int> kernel_version(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
  return {major, minor};
}

Detector::Detector(DetectorConfig cfg, SourceInfo source)
    : cfg_(cfg), source_(std::move(source)), kswapd_(0) {}

void Detector::on_event(const Event& e) {
  std::visit(Overloaded{
                 [&](const KswapdWake& x) {
                   kswapd_.on(e.ts, x);
                   if (x.order >= 1) live_[x.nid].high_wake++;
                 },
                 [&](const KswapdSleep& x) { kswapd_.on(e.ts, x); },
                 [&](const WakeupKswapd& x) {
                   kswapd_.on(e.ts, x);
                   if (x.order < 1) return;
                   NodeLive& n = live_[x.nid];
                   n.high_req++;
                   n.high_req_by_order[x.order]++;
                   // bounded: a fork bomb of distinct comms must not grow memory
                   if (n.high_req_by_comm.size() < 256 || n.high_req_by_comm.count(x.comm))
                     n.high_req_by_comm[x.comm]++;
                   else
                     n.high_req_by_comm["(other)"]++;
                 },
                 [&](const DirectReclaim& x) { (x.memcg ? memcg_ : direct_)++; },
                 [&](const ReclaimCounters& x) { shrink_ = x; },
                 [&](const VmstatSample& x) { vmstat_ = x; },
                 [&](const ZoneSample& x) {
                   std::map<int32_t, bool> unrecl;
                   for (const auto& z : x.zones)
                     if (z.populated()) unrecl[z.nid] = unrecl[z.nid] || z.node_unreclaimable;
                   for (const auto& [nid, u] : unrecl) {
                     NodeLive& n = live_[nid];
                     if (n.unreclaimable && *n.unreclaimable != u) n.toggles.push_back(e.ts);
                     n.unreclaimable = u;
                   }
                   zones_ = x;
                   settling_.on(e.ts, x.zones);
                 },
                 [&](const KswapdCpuSample& x) {
                   cpu_ = x;
                   cpu_ts_ = e.ts;
                 },
                 // allocation counters, probe health, hot-add events, and any
                 // event added later: not the detector's business
                 [&](const auto&) {},
             },
             e.data);
}

std::vector<Verdict> Detector::report() const {
  std::vector<Verdict> all = active_;
  all.insert(all.end(), pending_.begin(), pending_.end());
  return all;
}

void Detector::update(Track& t, TimeNs now, bool cond, bool immediate, double hold_s, bool gate) {
  if (cond) {
    if (!t.cond) t.cond_since = now;
    t.cond = true;
  } else {
    if (t.cond) t.false_since = now;
    t.cond = false;
  }
  const auto held = [&](TimeNs since, double s) { return now >= since + static_cast<TimeNs>(s * kNs); };
  if (!t.active && t.cond && gate && (immediate || held(t.cond_since, hold_s))) {
    t.active = true;
    t.v.raised = now;
  } else if (t.active && !t.cond && held(t.false_since, cfg_.clear_s)) {
    t.active = false;
  }
}

std::set<int32_t> Detector::node_ids() const {
  std::set<int32_t> nids;
  for (const auto& [nid, st] : kswapd_.nodes()) nids.insert(nid);
  if (zones_)
    for (const auto& z : zones_->zones)
      if (z.populated()) nids.insert(z.nid);
  if (cpu_)
    for (const auto& t : cpu_->threads) nids.insert(t.nid);
  if (shrink_)
    for (const auto& n : shrink_->nodes) nids.insert(n.nid);
  return nids;
}

Detector::Snapshot Detector::snapshot(TimeNs now, const std::set<int32_t>& nids) const {
  Snapshot s;
  s.t = now;
  if (vmstat_) {
    s.have_vmstat = true;
    s.pageoutrun = vm_get(*vmstat_, "pageoutrun");
    s.high_quick = vm_get(*vmstat_, "kswapd_high_wmark_hit_quickly");
    s.pgscan_k = vm_sum(*vmstat_, "pgscan_kswapd");
    s.pgsteal_k = vm_sum(*vmstat_, "pgsteal_kswapd");
    s.pgsteal_d = vm_sum(*vmstat_, "pgsteal_direct");
    s.slabs = vm_get(*vmstat_, "slabs_scanned");
    s.allocstall = vm_sum(*vmstat_, "allocstall");
    s.refault = vm_sum(*vmstat_, "workingset_refault");
  }
  s.direct = direct_;
  s.memcg = memcg_;
  for (int32_t nid : nids) {
    NodeCum& c = s.nodes[nid];
    auto ks = kswapd_.nodes().find(nid);
    if (ks != kswapd_.nodes().end()) {
      c.wakes = ks->second.wakes;
      c.sleeps = ks->second.sleeps;
      c.awake_ns = ks->second.awake_ns(now);
    }
    auto lv = live_.find(nid);
    if (lv != live_.end()) {
      c.high_req = lv->second.high_req;
      c.high_wake = lv->second.high_wake;
      c.high_req_by_order = lv->second.high_req_by_order;
      c.high_req_by_comm = lv->second.high_req_by_comm;
    }
    if (shrink_)
      for (const auto& n : shrink_->nodes)
        if (n.nid == nid) {
          c.have_shrink = true;
          c.k_calls = n.kswapd.calls;
          c.k_scanned = n.kswapd.scanned;
          c.k_reclaimed = n.kswapd.reclaimed;
        }
    if (cpu_)
      for (const auto& t : cpu_->threads)
        if (t.nid == nid) {
          c.have_cpu = true;
          c.cpu_ns += t.cpu_ns;
          c.cpu_ts = cpu_ts_;
        }
  }
  return s;
}

const Detector::Snapshot& Detector::window_start(double s) const {
  const TimeNs now = history_.back().t;
  const TimeNs w = static_cast<TimeNs>(s * kNs);
  for (auto it = history_.rbegin(); it != history_.rend(); ++it)
    if (it->t + w <= now) return *it;
  return history_.front();
}

Detector::Progress Detector::progress(const NodeCum& a, const NodeCum& b, const Snapshot& now,
                                      const Snapshot& then, bool vmstat_is_node) {
  // kswapd's own reclaim: the per-node lru_shrink_inactive aggregates, or
  // /proc/vmstat when they saw nothing and the system has a single node. On
  // 6.1 with MGLRU on, evict_folios() emits no lru_shrink_inactive (6.12
  // does: it traces each batch it isolated, scanned counting the sorted folios)
  Progress p;
  if (a.have_shrink && b.have_shrink) {
    p.scanned = d(a.k_scanned, b.k_scanned);
    p.reclaimed = d(a.k_reclaimed, b.k_reclaimed);
    p.known = d(a.k_calls, b.k_calls) > 0;
  }
  p.known = p.known || vmstat_is_node;
  if (p.scanned == 0 && vmstat_is_node) {
    p.scanned = d(now.pgscan_k, then.pgscan_k);
    p.reclaimed = std::max(p.reclaimed, d(now.pgsteal_k, then.pgsteal_k));
  }
  return p;
}

void Detector::window_rates(NodeStatus& st, const NodeCum& a, const NodeCum& b, const Snapshot& now,
                            const Snapshot& then) const {
  const double span = st.window_s;
  st.wakes = d(a.wakes, b.wakes);
  st.sleeps = d(a.sleeps, b.sleeps);
  st.duty = std::min(1.0, d(a.awake_ns, b.awake_ns) / kNs / span);
  double runs = static_cast<double>(st.wakes);
  if (st.vmstat_is_node) runs = std::max(runs, static_cast<double>(d(now.pageoutrun, then.pageoutrun)));
  st.runs_per_s = runs / span;
  if (a.have_cpu && b.have_cpu && a.cpu_ts > b.cpu_ts)
    st.cpu = d(a.cpu_ns, b.cpu_ns) / static_cast<double>(a.cpu_ts - b.cpu_ts);

  const Progress p = progress(a, b, now, then, st.vmstat_is_node);
  st.progress_known = p.known;
  st.scanned_per_s = p.scanned / span;
  st.reclaimed_per_s = p.reclaimed / span;
  st.eff = p.scanned ? static_cast<double>(p.reclaimed) / p.scanned : -1;
  st.steal_per_run = p.reclaimed / std::max(1.0, runs);

  if (st.vmstat_is_node) {
    const uint64_t por = d(now.pageoutrun, then.pageoutrun);
    if (por) st.quick = static_cast<double>(d(now.high_quick, then.high_quick)) / por;
    const uint64_t slabs = d(now.slabs, then.slabs), lru = d(now.pgscan_k, then.pgscan_k);
    if (slabs || lru) st.slab_per_lru = static_cast<double>(slabs) / std::max<uint64_t>(1, lru);
  }
  if (now.have_vmstat && then.have_vmstat) {
    st.allocstall_per_s = d(now.allocstall, then.allocstall) / span;
    st.refault_per_s = d(now.refault, then.refault) / span;
    st.steal_total_per_s = (d(now.pgsteal_k, then.pgsteal_k) + d(now.pgsteal_d, then.pgsteal_d)) / span;
  }
  st.direct_per_s = d(now.direct, then.direct) / span;
  st.memcg_per_s = d(now.memcg, then.memcg) / span;
  high_order_rates(st, a, b, span);
}

void Detector::high_order_rates(NodeStatus& st, const NodeCum& a, const NodeCum& b, double span) {
  st.high_order_req_per_s = std::max(d(a.high_req, b.high_req), d(a.high_wake, b.high_wake)) / span;
  uint64_t best = 0;
  for (const auto& [order, cnt] : a.high_req_by_order) {
    auto it = b.high_req_by_order.find(order);
    const uint64_t n = d(cnt, it == b.high_req_by_order.end() ? 0 : it->second);
    if (n > best) best = n, st.top_order = order;
  }
  best = 0;
  for (const auto& [comm, cnt] : a.high_req_by_comm) {
    auto it = b.high_req_by_comm.find(comm);
    const uint64_t n = d(cnt, it == b.high_req_by_comm.end() ? 0 : it->second);
    if (n > best) best = n, st.top_requester = comm;
  }
}

// What kswapd's time bought over the yield window: pages reclaimed per
// CPU-second of kswapd (/proc/<pid>/stat), and per second it was awake. Both
// are indifferent to where the time went (lru scanning, MGLRU aging, slab), so
// they hold on the classic LRU and on MGLRU alike.
void Detector::yield_rates(NodeStatus& st, const Snapshot& now, const Snapshot& then) const {
  const double span = now.t > then.t ? (now.t - then.t) / kNs : 0;
  if (span < 0.5) return;  // not enough history yet
  const NodeCum empty;
  auto itn = now.nodes.find(st.nid), itt = then.nodes.find(st.nid);
  const NodeCum& a = itn == now.nodes.end() ? empty : itn->second;
  const NodeCum& b = itt == then.nodes.end() ? empty : itt->second;
  const Progress p = progress(a, b, now, then, st.vmstat_is_node);
  if (!p.known) return;
  st.yield_window_s = span;
  st.yield_scanned_per_s = p.scanned / span;
  st.yield_eff = p.scanned ? static_cast<double>(p.reclaimed) / p.scanned : -1;
  // awake time: traced, or (no kswapd tracepoints) the activity estimate
  double awake_s = d(a.awake_ns, b.awake_ns) / kNs;
  if (!st.tracepoints) awake_s = st.awake ? std::min(span, st.awake_s) : 0;
  st.yield_duty = std::min(1.0, awake_s / span);
  if (awake_s > 0) st.reclaimed_per_awake_s = p.reclaimed / awake_s;
  if (a.have_cpu && b.have_cpu && a.cpu_ts > b.cpu_ts) {
    // the CPU share while awake: idle seconds in the window must not dilute it
    const double cpu_s = d(a.cpu_ns, b.cpu_ns) / kNs;
    const double cpu_span = static_cast<double>(a.cpu_ts - b.cpu_ts) / kNs;
    st.yield_cpu = cpu_s / std::max(std::min(awake_s, cpu_span), std::min(1.0, cpu_span));
    if (cpu_s > 0) st.reclaimed_per_cpu_s = p.reclaimed / cpu_s;
  }
}

bool Detector::low_yield(const NodeStatus& st) const {
  if (st.yield_window_s <= 0) return false;
  if (st.yield_cpu >= 0)
    return st.yield_cpu >= cfg_.futile_yield_min_cpu && st.reclaimed_per_cpu_s >= 0 &&
           st.reclaimed_per_cpu_s < cfg_.futile_per_cpu_s;
  return st.reclaimed_per_awake_s >= 0 && st.reclaimed_per_awake_s < cfg_.futile_per_awake_s;
}

// The scan path's test integrated over the yield window instead of held over
// 20 s of 5 s windows: one productive second no longer restarts the hold
// (measured in a 6.1 Xen domU: eff crossing 10 % twice in the first 22 s).
bool Detector::low_window_eff(const NodeStatus& st) const {
  return st.yield_scanned_per_s >= cfg_.futile_min_scan_per_s && st.yield_eff >= 0 &&
         st.yield_eff < cfg_.futile_eff;
}

// Without kswapd_wake/sleep (tracepoints missing) "awake" is estimated from
// activity: CPU time, passes or scanning in every window.
void Detector::estimate_awake(NodeStatus& st, NodeLive& live, const Snapshot& then) const {
  if (st.tracepoints || st.window_s <= 0) return;
  const bool busy = st.cpu >= 0.05 || st.runs_per_s > 0 || st.scanned_per_s > 0;
  if (!busy)
    live.busy_since = 0;
  else if (!live.busy_since)
    live.busy_since = then.t;
  st.awake = busy;
  st.awake_since = live.busy_since;
}

void Detector::zone_state(NodeStatus& st) const {
  if (!zones_) return;
  uint64_t node_managed = 0;
  for (const auto& z : zones_->zones)
    if (z.nid == st.nid) node_managed += z.managed;
  for (const auto& z : zones_->zones) {
    if (z.nid != st.nid || !z.populated() || z.managed == 0) continue;
    st.have_zones = true;
    st.free += z.free;
    st.high += z.high;
    st.boost += z.boost;
    st.managed += z.managed;
    st.unreclaimable = st.unreclaimable || z.node_unreclaimable;
    if (z.managed * 10 >= node_managed && z.free > z.high) st.big_zone_balanced = true;
    if (z.boost > 0 && z.free > z.high) st.boost_above_high = true;
  }
}

NodeStatus Detector::node_status(int32_t nid, const Snapshot& now, const Snapshot& then,
                                 const Snapshot& yield_then, size_t node_count) {
  NodeStatus st;
  st.nid = nid;
  const NodeCum empty;
  auto itn = now.nodes.find(nid);
  auto itt = then.nodes.find(nid);
  const NodeCum& a = itn == now.nodes.end() ? empty : itn->second;
  const NodeCum& b = itt == then.nodes.end() ? empty : itt->second;
  NodeLive& live = live_[nid];

  const double span = now.t > then.t ? (now.t - then.t) / kNs : 0;
  st.window_s = span >= 0.5 ? span : 0;
  st.vmstat_is_node = node_count == 1 && now.have_vmstat && then.have_vmstat;

  auto ks = kswapd_.nodes().find(nid);
  st.tracepoints = ks != kswapd_.nodes().end() && ks->second.wakes + ks->second.sleeps > 0;
  if (st.tracepoints) {
    st.awake = ks->second.awake;
    st.awake_since = ks->second.awake_since;
  }
  if (st.window_s > 0) window_rates(st, a, b, now, then);
  estimate_awake(st, live, then);
  if (st.awake && now.t > st.awake_since) st.awake_s = (now.t - st.awake_since) / kNs;
  if (st.window_s > 0) yield_rates(st, now, yield_then);
  zone_state(st);

  const TimeNs horizon = static_cast<TimeNs>(cfg_.futile_toggle_window_s * kNs);
  while (!live.toggles.empty() && live.toggles.front() + horizon < now.t) live.toggles.pop_front();
  st.toggles = static_cast<int>(live.toggles.size());
  return st;
}

const std::vector<Verdict>& Detector::evaluate(TimeNs now) {
  // 1. snapshot of everything cumulative; keep as front the newest snapshot
  // old enough for the longest window (or the oldest while the history is
  // shorter)
  const std::set<int32_t> nids = node_ids();
  history_.push_back(snapshot(now, nids));
  const double longest = std::max(cfg_.window_s, cfg_.futile_yield_window_s);
  const TimeNs w = static_cast<TimeNs>(longest * kNs);
  while (history_.size() >= 2 && history_[1].t + w <= now) history_.pop_front();
  const Snapshot& cur = history_.back();
  const Snapshot& then = window_start(cfg_.window_s);
  const Snapshot& yield_then = window_start(cfg_.futile_yield_window_s);

  // 2. metrics per node
  status_.clear();
  for (int32_t nid : nids) status_.push_back(node_status(nid, cur, then, yield_then, nids.size()));

  std::vector<Hazard> tiny;
  if (zones_)
    // only settled zones: a zone onlining memory is tiny for a moment
    for (auto& h :
         settling_.settled_only(zone_hazards(zones_->zones, zones_->min_free_kbytes, source_.page_size), now))
      if (h.kind == "tiny-zone") tiny.push_back(std::move(h));

  // 3. rules
  for (const NodeStatus& st : status_) {
    const Hazard* tz = nullptr;
    const ZoneInfo* tzone = nullptr;
    for (const auto& h : tiny)
      if (h.nid == st.nid) {
        tz = &h;
        tzone = find_zone(zones_->zones, st.nid, h.zone);
        break;
      }
    const RuleInput in{st, now, tz, tzone};
    rule_livelock(in);
    rule_futile(in);
    rule_churn(in);
    rule_thrash(in);
    rule_boost(in);
    rule_tiny(in);
    rule_healthy(in);
  }
  publish();
  return active_;
}

namespace {
void set_base(Verdict& v, const char* kind, const char* severity, bool alert, int32_t nid, TimeNs since) {
  v.kind = kind;
  v.severity = severity;
  v.alert = alert;
  v.nid = nid;
  v.since = since;
}

std::string cpu_text(const NodeStatus& st, const char* lead) {
  return st.cpu >= 0 ? fmt("%s%.0f%% CPU", lead, pct(st.cpu)) : "";
}
}  // namespace

// LIVELOCK (A5): awake without sleeping, spinning, no progress, and not
// because memory is genuinely short (no direct reclaim, or a big zone is fine).
void Detector::rule_livelock(const RuleInput& in) {
  const NodeStatus& st = in.st;
  const int32_t nid = st.nid;
  // progress per pass, not efficiency: the 4.4 spin reclaims 0-1 pages per
  // pass (its eff can look like 10 %), while the futile-reclaim runs measured
  // on 6.12 had eff ~1 % at 85 % CPU but hundreds of pages per pass
  const bool no_progress = st.progress_known && st.steal_per_run < cfg_.livelock_steal_per_run;
  const bool spinning = st.cpu >= 0 ? st.cpu >= cfg_.livelock_cpu : st.runs_per_s >= cfg_.livelock_runs_per_s;
  const bool tiny_spin =
      in.tz && st.quick >= 0.5 && st.slab_per_lru >= 10 && st.runs_per_s >= cfg_.livelock_runs_per_s;
  // memory is not short: a big zone is above its high watermark (DMA32 in the
  // 4.4 spin). Without zoneinfo, no allocation stalls stands in. Research A5
  // also accepted "no allocstall growth" with zoneinfo present, but the VM
  // harness's futile run on 6.1 (free between min and low, no stalls, 77 %
  // CPU under TCG, 2.4 pages per pass) then read as LIVELOCK: a node below
  // its watermarks whose kswapd fails is FUTILE-RECLAIM.
  const bool not_short = st.have_zones ? st.big_zone_balanced : st.allocstall_per_s == 0;
  const bool cond = st.window_s > 0 && st.awake && no_progress && (spinning || tiny_spin) && not_short;
  Track& t = track(nid, "LIVELOCK");
  update(t, in.now, cond, false, cfg_.hold_s, st.awake_s >= cfg_.livelock_awake_s);
  if (!cond) return;
  set_base(t.v, "LIVELOCK", "critical", true, nid, st.awake_since);
  std::string m =
      fmt("kswapd%d has been awake for %.0f s without sleeping, running %.1f balance passes/s%s, and "
          "reclaims almost nothing (%.1f pages per pass%s).",
          nid, st.awake_s, st.runs_per_s,
          st.cpu >= 0 ? fmt(" at %.0f%% of a CPU", pct(st.cpu)).c_str() : " (CPU time unknown)",
          st.steal_per_run, st.eff >= 0 ? fmt(", efficiency %.1f%%", pct(st.eff)).c_str() : "");
  const ZoneInfo* tzone = in.tzone;
  if (in.tz && tzone)
    m +=
        fmt(" Node %d %s has %llu managed of %llu present pages with watermarks %llu/%llu/%llu: "
            "kswapd keeps trying to balance a zone it can never balance (the Xen balloon bug, "
            "LP#1518457).",
            nid, tzone->name.c_str(), (unsigned long long)tzone->managed, (unsigned long long)tzone->present,
            (unsigned long long)tzone->min, (unsigned long long)tzone->low, (unsigned long long)tzone->high);
  if (st.quick >= 0.5)
    m +=
        fmt(" %.0f%% of passes found the node unbalanced again at once "
            "(kswapd_high_wmark_hit_quickly).",
            pct(st.quick));
  if (st.big_zone_balanced) m += " Other zones are above their high watermark, so the work is pointless.";
  t.v.message = m;
  t.v.advice =
      in.tz ? "Check /proc/zoneinfo: the zone's managed vs present pages and its min/low/high (all 0 is "
              "the bug's shape). This kernel balances per zone; it needs the fix (Ubuntu 4.4.0 with the "
              "zone_balanced low==high check, or 4.8+). Meanwhile avoid the sliver zone: keep the balloon "
              "from hot-adding memory (udev memory hot-add rule) or size the guest so the hot-added zone "
              "is populated."
            : "Check /proc/zoneinfo of the node (managed vs present, min/low/high and free of each zone) "
              "and "
              "the kswapd_high_wmark_hit_quickly rate against pageoutrun in /proc/vmstat; a zone whose "
              "watermarks kswapd cannot reach keeps it spinning. `top -H -p $(pgrep kswapd)` confirms the "
              "CPU. `kswaptrace fix-watermarks` shows whether the kernel's watermarks are stale and can "
              "make it "
              "recompute them.";
  t.v.evidence = {{"awake_s", st.awake_s},
                  {"balance_passes_per_s", st.runs_per_s},
                  {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1},
                  {"reclaimed_per_pass", st.steal_per_run},
                  {"efficiency", st.eff},
                  {"scanned_per_s", st.scanned_per_s},
                  {"quick_ratio", st.quick},
                  {"slab_per_lru", st.slab_per_lru},
                  {"allocstall_per_s", st.allocstall_per_s}};
  if (tzone) {
    t.v.evidence["zone_managed"] = static_cast<double>(tzone->managed);
    t.v.evidence["zone_present"] = static_cast<double>(tzone->present);
    t.v.evidence["zone_high"] = static_cast<double>(tzone->high);
  }
}

namespace {
std::string yield_text(const NodeStatus& st) {
  if (st.reclaimed_per_cpu_s >= 0 && st.yield_cpu >= 0)
    return fmt("%.0f pages reclaimed per CPU-second of kswapd over the last %.0f s (%.0f%% CPU)",
               st.reclaimed_per_cpu_s, st.yield_window_s, pct(st.yield_cpu));
  return fmt("%.0f pages reclaimed per second awake over the last %.0f s (CPU time unknown)",
             std::max(0.0, st.reclaimed_per_awake_s), st.yield_window_s);
}
}  // namespace

// FUTILE-RECLAIM (4.12+): busy for long and getting nothing for it: scanning
// at a low efficiency (classic LRU), or reclaiming next to nothing for the CPU
// (or awake time) kswapd spends (MGLRU too); or the hopeless-node flag flipping.
void Detector::rule_futile(const RuleInput& in) {
  const NodeStatus& st = in.st;
  const int32_t nid = st.nid;
  const bool busy = st.awake || st.duty >= 0.5;
  const bool scan_cond = st.window_s > 0 && busy && st.scanned_per_s >= cfg_.futile_min_scan_per_s &&
                         st.eff >= 0 && st.eff < cfg_.futile_eff;
  // the yield path: a full yield window, kswapd awake through most of it; not
  // while LIVELOCK's condition holds (a spin buys nothing either, and that
  // verdict names it)
  const bool yield_cond = st.window_s > 0 && st.yield_window_s >= cfg_.futile_yield_window_s - 0.5 &&
                          st.yield_duty >= cfg_.futile_yield_duty && (low_yield(st) || low_window_eff(st)) &&
                          !track(nid, "LIVELOCK").cond;
  const bool toggling = st.toggles >= cfg_.futile_toggles;
  const bool cond = scan_cond || yield_cond || toggling;
  Track& t = track(nid, "FUTILE-RECLAIM");
  const bool gate = toggling || !st.awake || st.awake_s >= cfg_.futile_awake_s;
  update(t, in.now, cond, toggling, yield_cond ? cfg_.futile_yield_hold_s : cfg_.hold_s, gate);
  if (!cond) return;
  set_base(t.v, "FUTILE-RECLAIM", "warning", true, nid,
           st.awake && st.awake_since && st.awake_since < t.cond_since ? st.awake_since : t.cond_since);
  const double busy_s = st.awake ? st.awake_s : (in.now - t.cond_since) / kNs;
  std::string m;
  if (scan_cond)
    m =
        fmt("kswapd%d has been busy for %.0f s (awake %.0f%% of the last %.0f s%s), scanning %.0f "
            "pages/s but reclaiming only %.0f pages/s (efficiency %.2f%%).",
            nid, busy_s, pct(st.duty), st.window_s, cpu_text(st, ", ").c_str(), st.scanned_per_s,
            st.reclaimed_per_s, pct(st.eff));
  else if (yield_cond && low_yield(st))
    m =
        fmt("kswapd%d has been busy for %.0f s (awake %.0f%% of the last %.0f s) and gets next to nothing "
            "for it: %s, %.0f pages/s. Its time goes into work that reclaims nothing (on MGLRU kernels, "
            "aging the hot pages: page-table walks and promotions that pgscan does not count).",
            nid, busy_s, pct(st.yield_duty), st.yield_window_s, yield_text(st).c_str(), st.reclaimed_per_s);
  else if (yield_cond)
    m =
        fmt("kswapd%d has been busy for %.0f s (awake %.0f%% of the last %.0f s), scanning %.0f pages/s over "
            "that time but reclaiming only %.2f%% of them; %s.",
            nid, busy_s, pct(st.yield_duty), st.yield_window_s, st.yield_scanned_per_s, pct(st.yield_eff),
            yield_text(st).c_str());
  else
    m = fmt("kswapd%d keeps failing:", nid);
  if (toggling)
    m +=
        fmt(" node_unreclaimable flipped %d times in the last %.0f s: kswapd gives up after 16 "
            "passes that reclaim nothing, then a small success (usually direct reclaim) resets it "
            "and it starts over.",
            st.toggles, cfg_.futile_toggle_window_s);
  t.v.message = m;
  t.v.advice =
      "Most memory is not reclaimable by kswapd: check what holds it in /proc/meminfo (anon without "
      "swap, Mlocked, Unevictable, Shmem). Check the watermark gap in /proc/zoneinfo (low/high) and "
      "vm.watermark_scale_factor: a large gap makes kswapd chase a free target the workload keeps "
      "eating. Adding swap, lowering the gap or shrinking the working set ends it.";
  t.v.evidence = {{"awake_s", st.awake_s},
                  {"duty_cycle", st.duty},
                  {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1},
                  {"scanned_per_s", st.scanned_per_s},
                  {"reclaimed_per_s", st.reclaimed_per_s},
                  {"efficiency", st.eff},
                  {"yield_window_s", st.yield_window_s},
                  {"yield_cpu_pct", st.yield_cpu >= 0 ? pct(st.yield_cpu) : -1},
                  {"yield_duty", st.yield_duty},
                  {"reclaimed_per_cpu_s", st.reclaimed_per_cpu_s},
                  {"reclaimed_per_awake_s", st.reclaimed_per_awake_s},
                  {"yield_scanned_per_s", st.yield_scanned_per_s},
                  {"yield_efficiency", st.yield_eff},
                  {"by_scan", scan_cond ? 1 : 0},
                  {"by_yield", yield_cond ? 1 : 0},
                  {"unreclaimable_toggles", st.toggles},
                  {"node_unreclaimable", st.unreclaimable ? 1 : 0},
                  {"direct_per_s", st.direct_per_s},
                  {"allocstall_per_s", st.allocstall_per_s}};
}

// HIGH-ORDER-CHURN: order >= 1 requests keep waking kswapd, which does go
// back to sleep, while order-0 memory is above the high watermarks.
void Detector::rule_churn(const RuleInput& in) {
  const NodeStatus& st = in.st;
  const bool cond = st.window_s > 0 && st.high_order_req_per_s >= cfg_.churn_requests_per_s &&
                    st.sleeps >= 1 && st.have_zones && st.free > st.high;
  Track& t = track(st.nid, "HIGH-ORDER-CHURN");
  update(t, in.now, cond, false, cfg_.hold_s, true);
  if (!cond) return;
  set_base(t.v, "HIGH-ORDER-CHURN", "warning", true, st.nid, t.cond_since);
  t.v.message = fmt(
      "kswapd%d is woken %.0f times/s by order-%d requests%s and goes back to sleep each time (%llu "
      "sleeps in %.0f s), while the node has %llu free pages against high watermarks of %llu: the "
      "shortage is of contiguous blocks, not of memory.",
      st.nid, st.high_order_req_per_s, st.top_order,
      st.top_requester.empty() ? "" : fmt(" (mostly from '%s')", st.top_requester.c_str()).c_str(),
      (unsigned long long)st.sleeps, st.window_s, (unsigned long long)st.free, (unsigned long long)st.high);
  t.v.advice =
      "Check /proc/buddyinfo for free blocks at that order, compact_stall/compact_fail in /proc/vmstat "
      "and kcompactd's CPU. Find who allocates high-order pages (jumbo-frame NIC rings, slab caches "
      "with a high page order). Options: have the allocator fall back to order 0, raise "
      "vm.min_free_kbytes moderately, or trigger compaction (vm.compact_memory) to see if it helps.";
  t.v.evidence = {{"high_order_requests_per_s", st.high_order_req_per_s},
                  {"top_order", st.top_order},
                  {"sleeps", static_cast<double>(st.sleeps)},
                  {"wakes", static_cast<double>(st.wakes)},
                  {"duty_cycle", st.duty},
                  {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1},
                  {"free", static_cast<double>(st.free)},
                  {"high", static_cast<double>(st.high)}};
}

// THRASHING: productive reclaim whose pages fault straight back.
void Detector::rule_thrash(const RuleInput& in) {
  const NodeStatus& st = in.st;
  const bool cond = st.window_s > 0 && st.vmstat_is_node &&
                    st.steal_total_per_s >= cfg_.thrash_min_steal_per_s &&
                    st.refault_per_s >= cfg_.thrash_refault_ratio * st.steal_total_per_s;
  Track& t = track(st.nid, "THRASHING");
  update(t, in.now, cond, false, cfg_.hold_s, true);
  if (!cond) return;
  set_base(t.v, "THRASHING", "warning", true, st.nid, t.cond_since);
  t.v.message =
      fmt("Reclaimed pages come straight back: %.0f refaults/s against %.0f pages/s reclaimed (ratio "
          "%.2f). Reclaim works, but the working set does not fit in memory.",
          st.refault_per_s, st.steal_total_per_s, st.refault_per_s / st.steal_total_per_s);
  t.v.advice =
      "Find who refaults (workingset_refault_* in each cgroup's memory.stat, /proc/pressure/memory); "
      "add memory or shrink the working set. Tuning kswapd will not help.";
  t.v.evidence = {{"refault_per_s", st.refault_per_s},
                  {"reclaimed_all_per_s", st.steal_total_per_s},
                  {"kswapd_reclaimed_per_s", st.reclaimed_per_s}};
}

// WATERMARK-BOOST: boosted reclaim although free is above the high watermark.
void Detector::rule_boost(const RuleInput& in) {
  const NodeStatus& st = in.st;
  const bool cond = st.window_s > 0 && st.boost_above_high && (st.awake || st.duty >= 0.2);
  Track& t = track(st.nid, "WATERMARK-BOOST");
  update(t, in.now, cond, false, cfg_.hold_s, true);
  if (!cond) return;
  set_base(t.v, "WATERMARK-BOOST", "notice", true, st.nid, t.cond_since);
  t.v.message =
      fmt("Node %d has a watermark boost of %llu pages while its free pages (%llu) are above the high "
          "watermarks (%llu): kswapd keeps reclaiming beyond its normal target after fragmentation events.",
          st.nid, (unsigned long long)st.boost, (unsigned long long)st.free, (unsigned long long)st.high);
  t.v.advice =
      "Check compact_stall and fragmentation (/proc/buddyinfo). If boosted reclaim hurts (LP#1861359), "
      "set vm.watermark_boost_factor=0.";
  t.v.evidence = {{"boost", static_cast<double>(st.boost)},
                  {"free", static_cast<double>(st.free)},
                  {"high", static_cast<double>(st.high)},
                  {"duty_cycle", st.duty}};
}

// TINY-ZONE: the seed's zone shape, flagged as soon as it is seen.
void Detector::rule_tiny(const RuleInput& in) {
  const int32_t nid = in.st.nid;
  const auto [kmaj, kmin] = kernel_version(source_.kernel_release);
  const bool known_kernel = kmaj > 0;
  const bool zone_balancing = !known_kernel || kmaj < 4 || (kmaj == 4 && kmin < 8);
  NodeLive& live = live_[nid];
  const bool cond = in.tz != nullptr;
  if (cond && !live.tiny_since) live.tiny_since = in.now;
  if (!cond) live.tiny_since = 0;
  Track& t = track(nid, "TINY-ZONE");
  update(t, in.now, cond, true, 0, true);
  if (!cond || !in.tzone) return;
  const ZoneInfo& z = *in.tzone;
  // A5: the zone can bite when it has no watermark gap, LRU pages and no free page above high.
  const bool can_bite = (z.low == z.high || z.high < 32) && zone_lru(z) > 0 && z.free <= z.high;
  const char* sev = zone_balancing ? (can_bite ? "critical" : "warning") : "notice";
  set_base(t.v, "TINY-ZONE", sev, true, nid, live.tiny_since);
  t.v.message = in.tz->message + ".";
  if (zone_balancing)
    t.v.message += known_kernel ? fmt(" Linux %d.%d balances kswapd per zone: this zone can keep it "
                                      "awake forever%s.",
                                      kmaj, kmin, can_bite ? ", and it is in the shape that does" : "")
                                : " Kernel version unknown: on kernels before 4.8 this zone can keep "
                                  "kswapd awake forever.";
  else
    t.v.message +=
        fmt(" Linux %d.%d balances per node, so the shape alone does not make kswapd spin "
            "(measured on 6.1 and 6.12).",
            kmaj, kmin);
  t.v.advice = in.tz->advice;
  t.v.evidence = {{"managed", static_cast<double>(z.managed)},
                  {"present", static_cast<double>(z.present)},
                  {"free", static_cast<double>(z.free)},
                  {"min", static_cast<double>(z.min)},
                  {"low", static_cast<double>(z.low)},
                  {"high", static_cast<double>(z.high)},
                  {"lru_pages", static_cast<double>(zone_lru(z))}};
}

// HEALTHY-RECLAIM: kswapd busy and productive. Reported, never an alert; not
// while its time buys next to nothing (MGLRU's futile aging reclaims little at
// a high efficiency, which once read as healthy).
void Detector::rule_healthy(const RuleInput& in) {
  const NodeStatus& st = in.st;
  const bool cond = st.window_s > 0 && (st.awake || st.duty >= 0.2) && st.reclaimed_per_s > 0 &&
                    (st.eff < 0 || st.eff >= cfg_.futile_eff) &&
                    st.steal_per_run >= cfg_.livelock_steal_per_run && !low_yield(st);
  Track& t = track(st.nid, "HEALTHY-RECLAIM");
  update(t, in.now, cond, false, cfg_.window_s, true);
  if (!cond) return;
  set_base(t.v, "HEALTHY-RECLAIM", "info", false, st.nid, t.cond_since);
  t.v.message =
      fmt("kswapd%d is reclaiming productively: %.0f pages/s at %.0f%% efficiency, %.0f pages per pass, "
          "awake %.0f%% of the time%s.",
          st.nid, st.reclaimed_per_s, st.eff >= 0 ? pct(st.eff) : 0.0, st.steal_per_run, pct(st.duty),
          cpu_text(st, ", ").c_str());
  t.v.advice =
      "Nothing to fix in kswapd: this is its job. If latency suffers, look at direct reclaim "
      "stalls (allocstall) and the size of the working set.";
  t.v.evidence = {
      {"reclaimed_per_s", st.reclaimed_per_s},     {"efficiency", st.eff},
      {"reclaimed_per_pass", st.steal_per_run},    {"duty_cycle", st.duty},
      {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1}, {"reclaimed_per_cpu_s", st.reclaimed_per_cpu_s}};
}

// Active verdicts, with the weaker kswapd states hidden by the stronger ones
// on the same node, then the pending ones.
void Detector::publish() {
  active_.clear();
  pending_.clear();
  std::set<std::pair<int32_t, std::string>> shown;
  for (const auto& [key, t] : tracks_)
    if (t.active) shown.insert(key);
  auto hidden = [&](int32_t nid, const std::string& kind) {
    auto has = [&](const char* k) { return shown.count({nid, k}) > 0; };
    if (kind == "FUTILE-RECLAIM") return has("LIVELOCK");
    if (kind == "HEALTHY-RECLAIM") return has("LIVELOCK") || has("FUTILE-RECLAIM") || has("THRASHING");
    return false;
  };
  for (const auto& [key, t] : tracks_) {
    if (t.active && !hidden(key.first, key.second)) active_.push_back(t.v);
    if (!t.active && t.cond && t.v.alert) {
      Verdict v = t.v;
      v.pending = true;
      v.raised = 0;
      pending_.push_back(std::move(v));
    }
  }
  auto order = [](const Verdict& a, const Verdict& b) {
    return a.nid != b.nid ? a.nid < b.nid : rank(a.kind) < rank(b.kind);
  };
  std::sort(active_.begin(), active_.end(), order);
  std::sort(pending_.begin(), pending_.end(), order);
}

}  // namespace kst
