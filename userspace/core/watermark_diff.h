// Before/after comparison of zone watermarks, for `kswaptrace fix-watermarks`.
#pragma once

#include <string>
#include <vector>

#include "core/zones.h"

namespace kst {

struct WatermarkChange {
  int32_t nid = 0;
  std::string zone;
  uint64_t managed = 0;
  uint64_t min_before = 0, low_before = 0, high_before = 0;
  uint64_t min_after = 0, low_after = 0, high_after = 0;
  bool changed() const {
    return min_before != min_after || low_before != low_after || high_before != high_after;
  }
};

// One row per populated zone present in both snapshots.
std::vector<WatermarkChange> diff_watermarks(const std::vector<ZoneInfo>& before,
                                             const std::vector<ZoneInfo>& after);

}  // namespace kst
