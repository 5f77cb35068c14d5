#include "core/detector.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/hazards.h"

namespace kst {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

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

NodeStatus Detector::node_status(int32_t nid, const Snapshot& now, const Snapshot& then, size_t node_count) {
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

  if (st.window_s > 0) {
    st.wakes = d(a.wakes, b.wakes);
    st.sleeps = d(a.sleeps, b.sleeps);
    st.duty = std::min(1.0, d(a.awake_ns, b.awake_ns) / kNs / span);
    double runs = static_cast<double>(st.wakes);
    if (st.vmstat_is_node) runs = std::max(runs, static_cast<double>(d(now.pageoutrun, then.pageoutrun)));
    st.runs_per_s = runs / span;
    if (a.have_cpu && b.have_cpu && a.cpu_ts > b.cpu_ts)
      st.cpu = d(a.cpu_ns, b.cpu_ns) / static_cast<double>(a.cpu_ts - b.cpu_ts);

    // kswapd's own reclaim: the per-node lru_shrink_inactive aggregates, or
    // /proc/vmstat when they saw nothing (MGLRU on 6.1+ does not emit
    // lru_shrink_inactive) and the system has a single node
    uint64_t scanned = 0, reclaimed = 0;
    if (a.have_shrink && b.have_shrink) {
      scanned = d(a.k_scanned, b.k_scanned);
      reclaimed = d(a.k_reclaimed, b.k_reclaimed);
      st.progress_known = d(a.k_calls, b.k_calls) > 0;
    }
    st.progress_known = st.progress_known || st.vmstat_is_node;
    if (scanned == 0 && st.vmstat_is_node) {
      scanned = d(now.pgscan_k, then.pgscan_k);
      reclaimed = std::max(reclaimed, d(now.pgsteal_k, then.pgsteal_k));
    }
    st.scanned_per_s = scanned / span;
    st.reclaimed_per_s = reclaimed / span;
    st.eff = scanned ? static_cast<double>(reclaimed) / scanned : -1;
    st.steal_per_run = reclaimed / std::max(1.0, runs);

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

  // Without kswapd_wake/sleep (tracepoints missing) "awake" is estimated
  // from activity: CPU time, passes or scanning in every window.
  if (!st.tracepoints && st.window_s > 0) {
    const bool busy = st.cpu >= 0.05 || st.runs_per_s > 0 || st.scanned_per_s > 0;
    if (!busy)
      live.busy_since = 0;
    else if (!live.busy_since)
      live.busy_since = then.t;
    st.awake = busy;
    st.awake_since = live.busy_since;
  }
  if (st.awake && now.t > st.awake_since) st.awake_s = (now.t - st.awake_since) / kNs;

  if (zones_) {
    uint64_t node_managed = 0;
    for (const auto& z : zones_->zones)
      if (z.nid == nid) node_managed += z.managed;
    for (const auto& z : zones_->zones) {
      if (z.nid != nid || !z.populated() || z.managed == 0) continue;
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
  const TimeNs horizon = static_cast<TimeNs>(cfg_.futile_toggle_window_s * kNs);
  while (!live.toggles.empty() && live.toggles.front() + horizon < now.t) live.toggles.pop_front();
  st.toggles = static_cast<int>(live.toggles.size());
  return st;
}

const std::vector<Verdict>& Detector::evaluate(TimeNs now) {
  // 1. snapshot of everything cumulative
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
  std::set<int32_t> nids;
  for (const auto& [nid, st] : kswapd_.nodes()) nids.insert(nid);
  if (zones_)
    for (const auto& z : zones_->zones)
      if (z.populated()) nids.insert(z.nid);
  if (cpu_)
    for (const auto& t : cpu_->threads) nids.insert(t.nid);
  if (shrink_)
    for (const auto& n : shrink_->nodes) nids.insert(n.nid);
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
  history_.push_back(std::move(s));
  // keep as front the newest snapshot at least window_s old (or the oldest
  // one while the history is shorter): the start of the window
  const TimeNs w = static_cast<TimeNs>(cfg_.window_s * kNs);
  while (history_.size() >= 2 && history_[1].t + w <= now) history_.pop_front();
  const Snapshot& cur = history_.back();
  const Snapshot& then = history_.front();

  // 2. metrics per node
  status_.clear();
  for (int32_t nid : nids) status_.push_back(node_status(nid, cur, then, nids.size()));

  std::vector<Hazard> tiny;
  if (zones_)
    for (auto& h : zone_hazards(zones_->zones, zones_->min_free_kbytes, source_.page_size))
      if (h.kind == "tiny-zone") tiny.push_back(std::move(h));
  const auto [kmaj, kmin] = kernel_version(source_.kernel_release);
  const bool known_kernel = kmaj > 0;
  const bool zone_balancing = !known_kernel || kmaj < 4 || (kmaj == 4 && kmin < 8);

  // 3. rules
  for (const NodeStatus& st : status_) {
    const int32_t nid = st.nid;
    const bool valid = st.window_s > 0;
    auto track = [&](const char* kind) -> Track& { return tracks_[{nid, kind}]; };
    auto base = [&](Track& t, const char* kind, const char* severity, bool alert, TimeNs since) {
      t.v.kind = kind;
      t.v.severity = severity;
      t.v.alert = alert;
      t.v.nid = nid;
      t.v.since = since;
    };
    const Hazard* tz = nullptr;
    const ZoneInfo* tzone = nullptr;
    for (const auto& h : tiny)
      if (h.nid == nid) {
        tz = &h;
        tzone = find_zone(zones_->zones, nid, h.zone);
        break;
      }

    // LIVELOCK (A5): awake without sleeping, spinning, no progress, and not
    // because memory is genuinely short (no direct reclaim, or a big zone is fine).
    {
      // progress per pass, not efficiency: the 4.4 spin reclaims 0-1 pages per
      // pass (its eff can look like 10 %), while the futile-reclaim runs measured
      // on 6.12 had eff ~1 % at 85 % CPU but hundreds of pages per pass
      const bool no_progress = st.progress_known && st.steal_per_run < cfg_.livelock_steal_per_run;
      const bool spinning =
          st.cpu >= 0 ? st.cpu >= cfg_.livelock_cpu : st.runs_per_s >= cfg_.livelock_runs_per_s;
      const bool tiny_spin =
          tz && st.quick >= 0.5 && st.slab_per_lru >= 10 && st.runs_per_s >= cfg_.livelock_runs_per_s;
      // memory is not short: a big zone is above its high watermark (DMA32 in the
      // 4.4 spin). Without zoneinfo, no allocation stalls stands in. Research A5
      // also accepted "no allocstall growth" with zoneinfo present, but the VM
      // harness's futile run on 6.1 (free between min and low, no stalls, 77 %
      // CPU under TCG, 2.4 pages per pass) then read as LIVELOCK: a node below
      // its watermarks whose kswapd fails is FUTILE-RECLAIM.
      const bool not_short = st.have_zones ? st.big_zone_balanced : st.allocstall_per_s == 0;
      const bool cond = valid && st.awake && no_progress && (spinning || tiny_spin) && not_short;
      Track& t = track("LIVELOCK");
      update(t, now, cond, false, cfg_.hold_s, st.awake_s >= cfg_.livelock_awake_s);
      if (cond) {
        base(t, "LIVELOCK", "critical", true, st.awake_since);
        std::string m =
            fmt("kswapd%d has been awake for %.0f s without sleeping, running %.1f balance passes/s%s, and "
                "reclaims almost nothing (%.1f pages per pass%s).",
                nid, st.awake_s, st.runs_per_s,
                st.cpu >= 0 ? fmt(" at %.0f%% of a CPU", pct(st.cpu)).c_str() : " (CPU time unknown)",
                st.steal_per_run, st.eff >= 0 ? fmt(", efficiency %.1f%%", pct(st.eff)).c_str() : "");
        if (tz && tzone)
          m +=
              fmt(" Node %d %s has %llu managed of %llu present pages with watermarks %llu/%llu/%llu: "
                  "kswapd keeps trying to balance a zone it can never balance (the Xen balloon bug, "
                  "LP#1518457).",
                  nid, tzone->name.c_str(), (unsigned long long)tzone->managed,
                  (unsigned long long)tzone->present, (unsigned long long)tzone->min,
                  (unsigned long long)tzone->low, (unsigned long long)tzone->high);
        if (st.quick >= 0.5)
          m +=
              fmt(" %.0f%% of passes found the node unbalanced again at once "
                  "(kswapd_high_wmark_hit_quickly).",
                  pct(st.quick));
        if (st.big_zone_balanced)
          m += " Other zones are above their high watermark, so the work is pointless.";
        t.v.message = m;
        t.v.advice =
            tz ? "Check /proc/zoneinfo: the zone's managed vs present pages and its min/low/high (all 0 is "
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
                        {"runs_per_s", st.runs_per_s},
                        {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1},
                        {"steal_per_run", st.steal_per_run},
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
    }

    // FUTILE-RECLAIM (4.12+): busy for long, scanning, reclaiming little; or
    // the hopeless-node flag flipping back and forth.
    {
      const bool busy = st.awake || st.duty >= 0.5;
      const bool scan_cond = valid && busy && st.scanned_per_s >= cfg_.futile_min_scan_per_s && st.eff >= 0 &&
                             st.eff < cfg_.futile_eff;
      const bool toggling = st.toggles >= cfg_.futile_toggles;
      const bool cond = scan_cond || toggling;
      Track& t = track("FUTILE-RECLAIM");
      const bool gate = toggling || !st.awake || st.awake_s >= cfg_.futile_awake_s;
      update(t, now, cond, toggling, cfg_.hold_s, gate);
      if (cond) {
        base(t, "FUTILE-RECLAIM", "warning", true,
             st.awake && st.awake_since && st.awake_since < t.cond_since ? st.awake_since : t.cond_since);
        std::string m;
        if (scan_cond)
          m =
              fmt("kswapd%d has been busy for %.0f s (awake %.0f%% of the last %.0f s%s), scanning %.0f "
                  "pages/s but reclaiming only %.0f pages/s (efficiency %.2f%%).",
                  nid, st.awake ? st.awake_s : (now - t.cond_since) / kNs, pct(st.duty), st.window_s,
                  st.cpu >= 0 ? fmt(", %.0f%% CPU", pct(st.cpu)).c_str() : "", st.scanned_per_s,
                  st.reclaimed_per_s, pct(st.eff));
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
                        {"duty", st.duty},
                        {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1},
                        {"scanned_per_s", st.scanned_per_s},
                        {"reclaimed_per_s", st.reclaimed_per_s},
                        {"efficiency", st.eff},
                        {"unreclaimable_toggles", st.toggles},
                        {"node_unreclaimable", st.unreclaimable ? 1 : 0},
                        {"direct_per_s", st.direct_per_s},
                        {"allocstall_per_s", st.allocstall_per_s}};
      }
    }

    // HIGH-ORDER-CHURN: order >= 1 requests keep waking kswapd, which does go
    // back to sleep, while order-0 memory is above the high watermarks.
    {
      const bool cond = valid && st.high_order_req_per_s >= cfg_.churn_requests_per_s && st.sleeps >= 1 &&
                        st.have_zones && st.free > st.high;
      Track& t = track("HIGH-ORDER-CHURN");
      update(t, now, cond, false, cfg_.hold_s, true);
      if (cond) {
        base(t, "HIGH-ORDER-CHURN", "warning", true, t.cond_since);
        t.v.message = fmt(
            "kswapd%d is woken %.0f times/s by order-%d requests%s and goes back to sleep each time (%llu "
            "sleeps in %.0f s), while the node has %llu free pages against high watermarks of %llu: the "
            "shortage is of contiguous blocks, not of memory.",
            nid, st.high_order_req_per_s, st.top_order,
            st.top_requester.empty() ? "" : fmt(" (mostly from '%s')", st.top_requester.c_str()).c_str(),
            (unsigned long long)st.sleeps, st.window_s, (unsigned long long)st.free,
            (unsigned long long)st.high);
        t.v.advice =
            "Check /proc/buddyinfo for free blocks at that order, compact_stall/compact_fail in /proc/vmstat "
            "and kcompactd's CPU. Find who allocates high-order pages (jumbo-frame NIC rings, slab caches "
            "with a high page order). Options: have the allocator fall back to order 0, raise "
            "vm.min_free_kbytes moderately, or trigger compaction (vm.compact_memory) to see if it helps.";
        t.v.evidence = {{"high_order_requests_per_s", st.high_order_req_per_s},
                        {"top_order", st.top_order},
                        {"sleeps", static_cast<double>(st.sleeps)},
                        {"wakes", static_cast<double>(st.wakes)},
                        {"duty", st.duty},
                        {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1},
                        {"free", static_cast<double>(st.free)},
                        {"high", static_cast<double>(st.high)}};
      }
    }

    // THRASHING: productive reclaim whose pages fault straight back.
    {
      const bool cond = valid && st.vmstat_is_node && st.steal_total_per_s >= cfg_.thrash_min_steal_per_s &&
                        st.refault_per_s >= cfg_.thrash_refault_ratio * st.steal_total_per_s;
      Track& t = track("THRASHING");
      update(t, now, cond, false, cfg_.hold_s, true);
      if (cond) {
        base(t, "THRASHING", "warning", true, t.cond_since);
        t.v.message =
            fmt("Reclaimed pages come straight back: %.0f refaults/s against %.0f pages/s reclaimed (ratio "
                "%.2f). Reclaim works, but the working set does not fit in memory.",
                st.refault_per_s, st.steal_total_per_s, st.refault_per_s / st.steal_total_per_s);
        t.v.advice =
            "Find who refaults (workingset_refault_* in each cgroup's memory.stat, /proc/pressure/memory); "
            "add memory or shrink the working set. Tuning kswapd will not help.";
        t.v.evidence = {{"refault_per_s", st.refault_per_s},
                        {"steal_per_s", st.steal_total_per_s},
                        {"kswapd_reclaimed_per_s", st.reclaimed_per_s}};
      }
    }

    // WATERMARK-BOOST: boosted reclaim although free is above the high watermark.
    {
      const bool cond = valid && st.boost_above_high && (st.awake || st.duty >= 0.2);
      Track& t = track("WATERMARK-BOOST");
      update(t, now, cond, false, cfg_.hold_s, true);
      if (cond) {
        base(t, "WATERMARK-BOOST", "notice", true, t.cond_since);
        t.v.message = fmt(
            "Node %d has a watermark boost of %llu pages while its free pages (%llu) are above the high "
            "watermarks (%llu): kswapd keeps reclaiming beyond its normal target after fragmentation events.",
            nid, (unsigned long long)st.boost, (unsigned long long)st.free, (unsigned long long)st.high);
        t.v.advice =
            "Check compact_stall and fragmentation (/proc/buddyinfo). If boosted reclaim hurts (LP#1861359), "
            "set vm.watermark_boost_factor=0.";
        t.v.evidence = {{"boost", static_cast<double>(st.boost)},
                        {"free", static_cast<double>(st.free)},
                        {"high", static_cast<double>(st.high)},
                        {"duty", st.duty}};
      }
    }

    // TINY-ZONE: the seed's zone shape, flagged as soon as it is seen.
    {
      NodeLive& live = live_[nid];
      const bool cond = tz != nullptr;
      if (cond && !live.tiny_since) live.tiny_since = now;
      if (!cond) live.tiny_since = 0;
      Track& t = track("TINY-ZONE");
      update(t, now, cond, true, 0, true);
      if (cond && tzone) {
        // A5: the zone can bite when it has no watermark gap, LRU pages and no free page above high.
        const bool can_bite = (tzone->low == tzone->high || tzone->high < 32) && zone_lru(*tzone) > 0 &&
                              tzone->free <= tzone->high;
        const char* sev = zone_balancing ? (can_bite ? "critical" : "warning") : "notice";
        base(t, "TINY-ZONE", sev, true, live.tiny_since);
        t.v.message = tz->message + ".";
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
        t.v.advice = tz->advice;
        t.v.evidence = {{"managed", static_cast<double>(tzone->managed)},
                        {"present", static_cast<double>(tzone->present)},
                        {"free", static_cast<double>(tzone->free)},
                        {"min", static_cast<double>(tzone->min)},
                        {"low", static_cast<double>(tzone->low)},
                        {"high", static_cast<double>(tzone->high)},
                        {"lru_pages", static_cast<double>(zone_lru(*tzone))}};
      }
    }

    // HEALTHY-RECLAIM: kswapd busy and productive. Reported, never an alert.
    {
      const bool cond = valid && (st.awake || st.duty >= 0.2) && st.reclaimed_per_s > 0 &&
                        (st.eff < 0 || st.eff >= cfg_.futile_eff) &&
                        st.steal_per_run >= cfg_.livelock_steal_per_run;
      Track& t = track("HEALTHY-RECLAIM");
      update(t, now, cond, false, cfg_.window_s, true);
      if (cond) {
        base(t, "HEALTHY-RECLAIM", "info", false, t.cond_since);
        t.v.message = fmt(
            "kswapd%d is reclaiming productively: %.0f pages/s at %.0f%% efficiency, %.0f pages per pass, "
            "awake %.0f%% of the time%s.",
            nid, st.reclaimed_per_s, st.eff >= 0 ? pct(st.eff) : 0.0, st.steal_per_run, pct(st.duty),
            st.cpu >= 0 ? fmt(", %.0f%% CPU", pct(st.cpu)).c_str() : "");
        t.v.advice =
            "Nothing to fix in kswapd: this is its job. If latency suffers, look at direct reclaim "
            "stalls (allocstall) and the size of the working set.";
        t.v.evidence = {{"reclaimed_per_s", st.reclaimed_per_s},
                        {"efficiency", st.eff},
                        {"steal_per_run", st.steal_per_run},
                        {"duty", st.duty},
                        {"cpu_pct", st.cpu >= 0 ? pct(st.cpu) : -1}};
      }
    }
  }

  // 4. output: active verdicts, with the weaker kswapd states hidden by the
  // stronger ones on the same node
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
  return active_;
}

}  // namespace kst
