// Page allocations from the in-kernel aggregates: the difference of two
// cumulative AllocCounters samples, rolled up by order, migratetype, zone
// and gfp class.
#pragma once

#include "core/event.h"
#include "core/summary.h"

namespace kst {

AllocSummary summarize_allocs(const AllocCounters& first, const AllocCounters& last, double seconds,
                              const SourceInfo& src, const std::vector<ZoneInfo>& zones);

}  // namespace kst
