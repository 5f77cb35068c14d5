#include "core/kswapd_tracker.h"

#include <algorithm>

namespace kst {

KswapdNodeState& KswapdTracker::node(int32_t nid) {
  auto [it, inserted] = nodes_.try_emplace(nid);
  if (inserted) it->second.nid = nid;
  return it->second;
}

void KswapdTracker::on(TimeNs ts, const KswapdWake& e) {
  KswapdNodeState& n = node(e.nid);
  n.wakes++;
  n.wake_orders[e.order]++;
  n.last_wake = ts;
  if (n.awake) {
    n.rewakes++;
  } else {
    n.awake = true;
    n.awake_since = ts;
  }
}

void KswapdTracker::on(TimeNs ts, const KswapdSleep& e) {
  KswapdNodeState& n = node(e.nid);
  n.sleeps++;
  n.last_sleep = ts;
  // A sleep with no wake seen: the episode began before we started watching.
  const TimeNs since = n.awake ? n.awake_since : window_start_;
  const TimeNs dur = ts > since ? ts - since : 0;
  n.awake_closed_ns += dur;
  n.episodes++;
  n.episode_us.add(dur / 1000);
  n.longest_episode_ns = std::max(n.longest_episode_ns, dur);
  n.awake = false;
}

void KswapdTracker::on(TimeNs, const WakeupKswapd& e) {
  KswapdNodeState& n = node(e.nid);
  n.wakeup_requests++;
  n.requests_by_zone_order[{e.zid, e.order}]++;
}

}  // namespace kst
