// A simulator of the page allocator's zone watermark check
// (__zone_watermark_ok() in mm/page_alloc.c) for each algorithm era, and the
// "explain" engine on top: walk the allocation's zonelist, run the check
// step by step, and turn the numbers into a verdict and advice.
//
// Everything is in pages. Pure: callers build WmZone from /proc/zoneinfo +
// /proc/buddyinfo (zones_to_wm) or from a pasted failure report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/gfp.h"
#include "core/zones.h"

namespace kst {

struct WmZone {
  int32_t nid = 0;
  std::string name;
  int zone_idx = -1;  // index into lowmem_reserve[] arrays
  bool has_watermarks = false;
  int64_t free = 0, min = 0, low = 0, high = 0;
  std::vector<int64_t> lowmem_reserve;  // empty = not known
  int64_t free_cma = 0;
  int64_t reserved_highatomic = 0;
  int64_t free_highatomic = -1;  // nr_free_highatomic (6.12+); -1 = not printed/known
  std::vector<int64_t> nr_free;  // free blocks per order; empty = not known
  std::vector<std::string> mt;   // migratetype letters per order ("" = none printed)
  bool mt_known = false;         // the buddy line carried letters
  bool legacy_letters = false;   // pre-4.4 letters: U E M R C I (R = MIGRATE_RESERVE)
};

enum class WmAlgo {
  Pre44,   // 2.6.x-4.3: iterative per-order subtraction
  Post44,  // 4.4-6.3: 97a16fc82a7c, order-0 watermark + "any suitable block"
  Post64,  // 6.4+: same shape, ALLOC_MIN_RESERVE/NON_BLOCK reserve rules
};
const char* wm_algo_label(WmAlgo a);
WmAlgo wm_algo_for(KernelVersion kv);

// The arithmetic of one kernel's __zone_watermark_ok(), as a set of rules.
// Built from the era table (wm_boundaries()): every boundary there flips
// one rule at the kernel release that merged its commit.
struct WmRules {
  WmAlgo algo = WmAlgo::Pre44;
  bool off_by_two = false;          // 2.6.37-3.2: free -= (1 << order) + 1
  bool cma_unusable = false;        // 3.7+: free CMA pages are discounted without ALLOC_CMA
  bool highatomic_reserve = false;  // 4.4+: the highatomic reserve is discounted without ALLOC_HARDER
  bool classzone_highest = false;   // 5.7+: lowmem_reserve index = highest zone the mask allows
  bool free_highatomic = false;     // 6.12+: the discount is nr_free_highatomic, not the reserve size
};

struct WmBoundary {
  KernelVersion at;         // first release with the change
  const char* commit;       // the commit that made it ("hash subject")
  const char* change;       // what it changed in the check
  void (*apply)(WmRules&);  // the state after it
};
// All boundaries, oldest first.
const std::vector<WmBoundary>& wm_boundaries();
WmRules wm_rules_for(KernelVersion kv);
// The rules of `kv`, with one boundary forced to its before (after=false) or after state.
WmRules wm_rules_with(KernelVersion kv, const WmBoundary& b, bool after);
std::string wm_rules_describe(const WmRules& r);

enum class WmFail {
  None,
  Watermark,        // free <= min even before lowmem_reserve: low free memory
  Reserve,          // above min, but within lowmem_reserve[classzone]
  Cma,              // only free CMA pages would have met the mark
  Highatomic,       // only the highatomic reserve would have met the mark
  OrderStep,        // pre-4.4 per-order step failed
  NoBlock,          // no free block of the requested order or larger
  Migratetype,      // blocks exist, but only of types this request may not use
  HighatomicBlock,  // blocks of the order exist, but only in (H) highatomic pageblocks
};
const char* wm_fail_name(WmFail f);

struct WmResult {
  bool ok = false;
  bool unknown = false;  // the data cannot decide (no buddy counts / no watermarks)
  WmFail fail = WmFail::None;
  int fail_order = -1;
  int64_t free_after = 0;  // left side of the deciding comparison
  int64_t required = 0;    // right side (the check fails when free_after <= required)
  int64_t min_adjusted = 0;
  int64_t reserve = 0;
  bool assumed_migratetype = false;  // order loop passed without migratetype letters
  int64_t blocks_at_order = 0;       // free blocks of order >= the request's
  int64_t pages_at_order = 0;        // pages in those blocks
  std::vector<std::string> steps;
};

// One run of __zone_watermark_ok(). `mark` is the watermark in pages,
// `classzone_idx` indexes lowmem_reserve[], `migratetype` is 'U', 'M' or 'E'.
WmResult check_watermark(const WmZone& z, int order, int64_t mark, int classzone_idx, const AllocFlags& f,
                         const WmRules& rules, char migratetype);
// The same with the default rules of an algorithm era (no off-by-two, reserve-sized highatomic discount).
WmResult check_watermark(const WmZone& z, int order, int64_t mark, int classzone_idx, const AllocFlags& f,
                         WmAlgo algo, char migratetype);

// /proc/zoneinfo + /proc/buddyinfo state as WmZones (zid is the zone index).
std::vector<WmZone> zones_to_wm(const std::vector<ZoneInfo>& zones);

enum class Cause { NotReproduced, LowFree, Reserve, Fragmentation, Migratetype, Inconclusive, Highatomic };
const char* cause_name(Cause c);

struct ExplainRequest {
  int order = 0;
  GfpInfo gfp;
  KernelVersion kv{6, 1};
  WmAlgo algo = WmAlgo::Post44;
  std::optional<WmRules> rules;  // default: wm_rules_for(kv) with `algo`
  // The kernel level is a guess (or a distro kernel that may carry
  // backports): boundaries in [kv_low, kv_high] are tried both ways.
  std::optional<KernelVersion> kv_low, kv_high;
  bool zones_complete = true;       // false: the report was cut before all zone lines
  bool all_marks = false;           // live/--zoneinfo: min, low and high; reports: min only
  std::vector<std::string> layout;  // zone name per zone index (from lowmem_reserve length)
  bool xen_guest = false;
  std::string comm;
};

struct ZoneReport {
  WmZone zone;
  std::vector<std::pair<std::string, WmResult>> marks;  // "min", "low", "high"
};

struct WhatIf {
  std::string label;  // "no ALLOC_HIGH/HARDER", "pre-4.4 algorithm", ...
  WmResult result;
};

struct EraAlternative {
  std::string boundary;  // "3.3: <commit>"
  bool applied = false;  // the variant has the change (true) or lacks it (false)
  Cause cause = Cause::Inconclusive;
  bool changes = false;  // differs from the main verdict
  std::string text;
};

struct Explanation {
  AllocFlags flags;
  WmRules rules;
  int decisive = -1;  // index into zonelist of the zone the verdict is about
  int classzone_idx = -1;
  std::string classzone;
  std::vector<ZoneReport> zonelist;  // in the order the allocator tries them
  std::vector<WhatIf> what_if;       // variants for the preferred zone
  Cause cause = Cause::Inconclusive;
  std::string verdict;
  std::vector<std::string> advice;
  std::vector<std::string> notes;
  std::vector<EraAlternative> era_alternatives;
};

Explanation explain(const std::vector<WmZone>& zones, const ExplainRequest& req);

}  // namespace kst
