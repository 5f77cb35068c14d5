// Direct and memcg-limit reclaim episodes: latency, yield and who stalled.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/event.h"
#include "core/histogram.h"

namespace kst {

struct ReclaimCommStats {
  uint64_t count = 0;
  uint64_t total_ns = 0;
  uint64_t reclaimed = 0;
};

// Per memory cgroup: the key is its path ("/a/b"), "cgroup id N" when the id
// did not resolve (removed before it was looked up), "?" when unknown.
struct ReclaimCgroupStats : ReclaimCommStats {
  uint64_t cgroup_id = 0;
};

struct DirectReclaimState {
  uint64_t count = 0;        // global direct reclaim (== allocstall)
  uint64_t memcg_count = 0;  // memcg limit reclaim
  uint64_t reclaimed = 0, memcg_reclaimed = 0;
  uint64_t total_ns = 0, memcg_total_ns = 0;
  Log2Histogram latency_us;        // global direct reclaim
  Log2Histogram memcg_latency_us;  // memcg limit reclaim
  std::map<int32_t, Log2Histogram> latency_us_by_order;
  std::map<std::string, ReclaimCommStats> by_comm;  // both kinds
  std::map<std::string, ReclaimCgroupStats> direct_by_cgroup, memcg_by_cgroup;
};

// The key of E's cgroup in direct_by_cgroup / memcg_by_cgroup.
std::string cgroup_key(const DirectReclaim& e);

class ReclaimTracker {
 public:
  void on(TimeNs ts, const DirectReclaim& e);
  const DirectReclaimState& state() const { return state_; }

 private:
  DirectReclaimState state_;
};

}  // namespace kst
