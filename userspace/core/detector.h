// The kswapd detector: turns the event model into named verdicts per node
// (LIVELOCK, FUTILE-RECLAIM, HIGH-ORDER-CHURN, ...).
//
// It is fed the same Events as the Analyzer and evaluated on a timer
// (evaluate(now), about once a second): in the classic livelock kswapd never
// sleeps, so the signal is an episode that does not end, and nothing arrives
// to trigger an evaluation. Each evaluation stores a snapshot of the
// cumulative counters; window metrics are the difference between the newest
// snapshot and the one about window_s earlier. A verdict is raised when its
// condition has held for hold_s, and cleared when it has been false for
// clear_s. No file I/O, no clock of its own: tests drive the time.
//
// Rules, thresholds and their false-positive risks: docs/detection.md.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/hazards.h"
#include "core/kswapd_tracker.h"
#include "core/verdict.h"
#include "core/zone_settling.h"

namespace kst {

struct DetectorConfig {
  double window_s = 5;  // W: metrics are computed over the trailing W seconds
  double hold_s = 20;   // a condition must hold this long before its verdict is raised
  double clear_s = 10;  // and be false this long before the verdict is cleared

  // LIVELOCK: kswapd never sleeps, burns CPU and reclaims ~nothing.
  double livelock_awake_s = 20;       // kswapd continuously awake at least this long
  double livelock_cpu = 0.70;         // kswapd CPU share over the window
  double livelock_steal_per_run = 4;  // pages reclaimed per balance_pgdat() pass, below = no progress
  double livelock_runs_per_s = 10;    // passes per second: stands in for CPU when CPU time is unknown,
                                      // and (with a tiny zone) escalates without CPU

  // FUTILE-RECLAIM: kswapd busy for long, scanning a lot, reclaiming little.
  double futile_awake_s = 20;
  double futile_eff = 0.10;
  double futile_min_scan_per_s = 1000;  // pages/s scanned by kswapd
  int futile_toggles = 3;               // node_unreclaimable transitions ...
  double futile_toggle_window_s = 120;  // ... within this many seconds
  // FUTILE-RECLAIM by yield: what kswapd's time buys, measured over a longer
  // trailing window. MGLRU (6.12) spends kswapd's time in aging
  // (try_to_inc_max_seq -> walk_mm) and in sorting promoted folios, neither of
  // which pgscan counts, so scan efficiency stays high while almost nothing is
  // reclaimed. Calibration: docs/detection.md.
  double futile_yield_window_s = 20;   // span of the yield metrics
  double futile_yield_duty = 0.8;      // kswapd awake at least this share of it
  double futile_per_cpu_s = 450;       // pages reclaimed per kswapd CPU-second, below = futile
  double futile_yield_min_cpu = 0.10;  // ... once kswapd uses this share of a CPU while awake
  double futile_per_awake_s = 200;     // without CPU time: pages reclaimed per awake second
  double futile_yield_hold_s = 5;      // the yield window already spans 20 s

  // HIGH-ORDER-CHURN: high-order requests keep waking kswapd, order-0 memory plentiful.
  double churn_requests_per_s = 10;

  // THRASHING: reclaim is productive but the pages come straight back.
  double thrash_refault_ratio = 0.5;     // refaults / pages stolen
  double thrash_min_steal_per_s = 1000;  // ignore trickles

  // WATERMARK-BOOST: boost stays > 0 although free is above the high watermark.
  // (held for hold_s like the others)
};

// The numbers of one node over the last window; also what `watch` prints.
struct NodeStatus {
  int32_t nid = 0;
  double window_s = 0;       // actual span of the window (0: not enough samples yet)
  bool tracepoints = false;  // kswapd_wake/sleep seen for this node
  bool awake = false;
  double awake_s = 0;  // length of the current awake stretch
  TimeNs awake_since = 0;
  double duty = 0;        // fraction of the window kswapd was awake
  double cpu = -1;        // kswapd CPU share (1.0 = one CPU), -1 unknown
  double runs_per_s = 0;  // balance_pgdat passes (kswapd_wake, or pageoutrun)
  uint64_t wakes = 0, sleeps = 0;
  double scanned_per_s = 0, reclaimed_per_s = 0;  // by kswapd
  double eff = -1;                                // reclaimed/scanned, -1 when nothing was scanned
  double steal_per_run = 0;
  // whether scanned/reclaimed above measure this node's kswapd: lru_shrink_inactive
  // fired for it, or /proc/vmstat is the node's (single node). MGLRU on 6.1 (and
  // until "mm: multi-gen LRU: reuse some legacy trace events") emits no
  // lru_shrink_inactive, so on such a multi-node machine progress is unknown.
  bool progress_known = false;
  // Yield over the trailing futile_yield_window_s (span yield_window_s, shorter
  // while the history is): kswapd's CPU share while awake and its awake share
  // there, and the pages it reclaimed per CPU-second and per awake second
  // (-1 unknown: no CPU time, or no awake time).
  double yield_window_s = 0;
  double yield_cpu = -1, yield_duty = 0;
  double reclaimed_per_cpu_s = -1, reclaimed_per_awake_s = -1;
  double yield_scanned_per_s = 0, yield_eff = -1;  // scan efficiency over the same window
  double quick = -1;                               // high_wmark_hit_quickly / pageoutrun, -1 unknown
  double slab_per_lru = -1;                        // slabs_scanned / pgscan_kswapd, -1 unknown
  double allocstall_per_s = 0;
  double direct_per_s = 0, memcg_per_s = 0;  // traced direct / memcg-limit reclaim episodes
  double refault_per_s = 0, steal_total_per_s = 0;
  double high_order_req_per_s = 0;
  int32_t top_order = 0;        // most frequent order >= 1 among requests
  std::string top_requester;    // comm with most order >= 1 requests
  bool vmstat_is_node = false;  // vmstat numbers are system-wide; true when this is the only node
  // zones of the node (last sample)
  bool have_zones = false;
  uint64_t free = 0, high = 0, boost = 0, managed = 0;
  bool unreclaimable = false;
  int toggles = 0;                 // node_unreclaimable transitions within futile_toggle_window_s
  bool big_zone_balanced = false;  // a zone with >= 10% of the node's pages has free > high
  bool boost_above_high = false;   // a zone with boost > 0 has free > high
};

class Detector {
 public:
  explicit Detector(DetectorConfig cfg = {}, SourceInfo source = {});

  void on_event(const Event& e);

  // Takes a snapshot at `now` (monotonic ns, >= the timestamps fed so far),
  // updates every rule and returns the verdicts in force, ordered by node and
  // severity. Call about once a second.
  const std::vector<Verdict>& evaluate(TimeNs now);

  // After evaluate(): conditions that hold but not yet for hold_s.
  const std::vector<Verdict>& pending() const { return pending_; }
  // After evaluate(): the window metrics per node.
  const std::vector<NodeStatus>& status() const { return status_; }
  const DetectorConfig& config() const { return cfg_; }
  // After evaluate(): verdicts in force, then pending ones (what a summary shows).
  std::vector<Verdict> report() const;
  // The last zone sample, for alert blocks that show the node's zones.
  const std::optional<ZoneSample>& zones() const { return zones_; }

 private:
  struct NodeCum {
    uint64_t wakes = 0, sleeps = 0;
    TimeNs awake_ns = 0;
    uint64_t high_req = 0;   // wakeup_kswapd with order >= 1
    uint64_t high_wake = 0;  // kswapd_wake with order >= 1
    std::map<int32_t, uint64_t> high_req_by_order;
    std::map<std::string, uint64_t> high_req_by_comm;
    bool have_shrink = false;
    uint64_t k_calls = 0, k_scanned = 0, k_reclaimed = 0;
    bool have_cpu = false;
    uint64_t cpu_ns = 0;
    TimeNs cpu_ts = 0;
  };
  struct Snapshot {
    TimeNs t = 0;
    bool have_vmstat = false;
    uint64_t pageoutrun = 0, high_quick = 0, pgscan_k = 0, pgsteal_k = 0, pgsteal_d = 0, slabs = 0,
             allocstall = 0, refault = 0;
    uint64_t direct = 0, memcg = 0;
    std::map<int32_t, NodeCum> nodes;
  };
  struct Track {
    bool cond = false;
    TimeNs cond_since = 0, false_since = 0;
    bool active = false;
    Verdict v;
  };
  struct NodeLive {
    std::map<int32_t, uint64_t> high_req_by_order;
    std::map<std::string, uint64_t> high_req_by_comm;
    uint64_t high_req = 0, high_wake = 0;
    std::optional<bool> unreclaimable;
    std::deque<TimeNs> toggles;
    TimeNs busy_since = 0;  // activity-based awake estimate without tracepoints
    TimeNs tiny_since = 0;
  };

  // What kswapd's reclaim measured between two snapshots: the per-node
  // lru_shrink_inactive aggregates, or /proc/vmstat on a single-node machine.
  struct Progress {
    uint64_t scanned = 0, reclaimed = 0;
    bool known = false;
  };
  // One node's inputs to the rules in one evaluation.
  struct RuleInput {
    const NodeStatus& st;
    TimeNs now;
    const Hazard* tz;       // tiny-zone hazard on the node, or null
    const ZoneInfo* tzone;  // its zone
  };

  std::set<int32_t> node_ids() const;
  Snapshot snapshot(TimeNs now, const std::set<int32_t>& nids) const;
  // The newest snapshot at least `s` seconds old (the oldest one while the
  // history is shorter): the start of a window ending at the newest.
  const Snapshot& window_start(double s) const;
  static Progress progress(const NodeCum& a, const NodeCum& b, const Snapshot& now, const Snapshot& then,
                           bool vmstat_is_node);
  NodeStatus node_status(int32_t nid, const Snapshot& now, const Snapshot& then, const Snapshot& yield_then,
                         size_t node_count);
  void window_rates(NodeStatus& st, const NodeCum& a, const NodeCum& b, const Snapshot& now,
                    const Snapshot& then) const;
  static void high_order_rates(NodeStatus& st, const NodeCum& a, const NodeCum& b, double span);
  void yield_rates(NodeStatus& st, const Snapshot& now, const Snapshot& then) const;
  void estimate_awake(NodeStatus& st, NodeLive& live, const Snapshot& then) const;
  void zone_state(NodeStatus& st) const;
  // kswapd's time buys (almost) nothing over the yield window.
  bool low_yield(const NodeStatus& st) const;
  // kswapd scans a lot and reclaims little of it over the yield window.
  bool low_window_eff(const NodeStatus& st) const;

  Track& track(int32_t nid, const char* kind) { return tracks_[{nid, kind}]; }
  void rule_livelock(const RuleInput& in);
  void rule_futile(const RuleInput& in);
  void rule_churn(const RuleInput& in);
  void rule_thrash(const RuleInput& in);
  void rule_boost(const RuleInput& in);
  void rule_tiny(const RuleInput& in);
  void rule_healthy(const RuleInput& in);
  // Fills active_ and pending_ from the tracks.
  void publish();
  // Advances one rule: raised when `cond` held hold_s (at once if
  // `immediate`) and `gate` is true; cleared when false for clear_s.
  void update(Track& t, TimeNs now, bool cond, bool immediate, double hold_s, bool gate);

  DetectorConfig cfg_;
  SourceInfo source_;
  KswapdTracker kswapd_;
  std::map<int32_t, NodeLive> live_;
  std::optional<VmstatSample> vmstat_;
  std::optional<ReclaimCounters> shrink_;
  std::optional<KswapdCpuSample> cpu_;
  TimeNs cpu_ts_ = 0;
  std::optional<ZoneSample> zones_;
  ZoneSettling settling_;
  uint64_t direct_ = 0, memcg_ = 0;
  std::deque<Snapshot> history_;
  std::map<std::pair<int32_t, std::string>, Track> tracks_;
  std::vector<Verdict> active_, pending_;
  std::vector<NodeStatus> status_;
};

// What changed between two evaluations, keyed by (node, kind): the verdicts
// that went away (cleared, first) and those that appeared (raised). `watch`
// prints these; `record` writes them as VerdictChange events.
class VerdictChanges {
 public:
  std::vector<VerdictChange> update(const std::vector<Verdict>& now);

 private:
  std::map<std::pair<int32_t, std::string>, Verdict> shown_;
};

// The verdicts a stream of recorded changes leaves in force (raised, not yet
// cleared), by (node, kind): what a replay window starting later inherits.
class VerdictsInForce {
 public:
  void on(const VerdictChange& c);
  std::vector<VerdictChange> take();  // the raised ones still in force; then empty

 private:
  std::map<std::pair<int32_t, std::string>, VerdictChange> in_force_;
};

// "4.4.0-21-generic" -> {4, 4}; {0, 0} when unknown.
std::pair<int, int> kernel_version(const std::string& release);

}  // namespace kst
