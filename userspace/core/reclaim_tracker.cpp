#include "core/reclaim_tracker.h"

namespace kst {

std::string cgroup_key(const DirectReclaim& e) {
  if (!e.cgroup.empty()) return e.cgroup;
  return e.cgroup_id ? "cgroup id " + std::to_string(e.cgroup_id) : "?";
}

void ReclaimTracker::on(TimeNs, const DirectReclaim& e) {
  const uint64_t ns = e.end_ns > e.begin_ns ? e.end_ns - e.begin_ns : 0;
  if (e.memcg) {
    state_.memcg_count++;
    state_.memcg_reclaimed += e.nr_reclaimed;
    state_.memcg_total_ns += ns;
    state_.memcg_latency_us.add(ns / 1000);
  } else {
    state_.count++;
    state_.reclaimed += e.nr_reclaimed;
    state_.total_ns += ns;
    state_.latency_us.add(ns / 1000);
    state_.latency_us_by_order[e.order].add(ns / 1000);
  }
  ReclaimCommStats& c = state_.by_comm[e.comm.empty() ? "?" : e.comm];
  c.count++;
  c.total_ns += ns;
  c.reclaimed += e.nr_reclaimed;
  ReclaimCgroupStats& g = (e.memcg ? state_.memcg_by_cgroup : state_.direct_by_cgroup)[cgroup_key(e)];
  g.cgroup_id = e.cgroup_id;
  g.count++;
  g.total_ns += ns;
  g.reclaimed += e.nr_reclaimed;
}

}  // namespace kst
