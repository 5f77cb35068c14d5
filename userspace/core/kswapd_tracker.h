// Per-node kswapd episodes from kswapd_wake / kswapd_sleep / wakeup_kswapd.
//
// An episode runs from a wake to the next sleep. A wake while already awake is
// a re-wake: kswapd finished a balance_pgdat() pass and started another
// without sleeping, which is exactly what the 4.4 livelock looks like. An
// episode still open is counted up to the time asked about, because in a
// livelock the sleep never comes.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/histogram.h"

namespace kst {

struct KswapdNodeState {
  int32_t nid = 0;
  uint64_t wakes = 0, sleeps = 0, rewakes = 0;
  uint64_t episodes = 0;       // completed wake..sleep episodes
  TimeNs awake_closed_ns = 0;  // awake time of completed episodes
  bool awake = false;
  TimeNs awake_since = 0;
  Log2Histogram episode_us;  // completed episode lengths
  TimeNs longest_episode_ns = 0;
  uint64_t wakeup_requests = 0;
  std::map<std::pair<int32_t, int32_t>, uint64_t> requests_by_zone_order;  // (zid, order)
  std::map<int32_t, uint64_t> wake_orders;                                 // order of kswapd_wake
  TimeNs last_wake = 0, last_sleep = 0;

  // Awake time up to `now`, including an open episode.
  TimeNs awake_ns(TimeNs now) const {
    return awake_closed_ns + (awake && now > awake_since ? now - awake_since : 0);
  }
};

class KswapdTracker {
 public:
  explicit KswapdTracker(TimeNs window_start) : window_start_(window_start) {}
  void on(TimeNs ts, const KswapdWake& e);
  void on(TimeNs ts, const KswapdSleep& e);
  void on(TimeNs ts, const WakeupKswapd& e);
  const std::map<int32_t, KswapdNodeState>& nodes() const { return nodes_; }
  KswapdNodeState& node(int32_t nid);

 private:
  TimeNs window_start_;
  std::map<int32_t, KswapdNodeState> nodes_;
};

}  // namespace kst
