#include "core/watermark_check.h"

#include <algorithm>
#include <map>

namespace kst {
namespace {

std::string num(int64_t v) { return std::to_string(v); }

int zone_rank(const std::string& name) {
  static const char* order[] = {"DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"};
  for (int i = 0; i < 6; i++)
    if (name == order[i]) return i;
  return 2;  // unknown names behave like Normal
}

// Migratetypes a request may take a block from. 4.4+ letters: U M E H C I;
// pre-4.4: U E M R C I. The pcp types (and pre-4.4 MIGRATE_RESERVE) are
// always usable through fallback; CMA only with ALLOC_CMA; HighAtomic only
// with ALLOC_HARDER/ALLOC_OOM (<= 6.3) or ALLOC_HIGHATOMIC/ALLOC_OOM (6.4+).
bool letter_allowed(char c, const AllocFlags& f, bool legacy) {
  switch (c) {
    case 'U':
    case 'M':
    case 'E': return true;
    case 'R': return legacy;
    case 'H': return !legacy && (f.harder || f.highatomic || f.oom);
    case 'C': return f.cma;
    default: return false;  // 'I' isolate, unknown letters
  }
}

// After the watermark arithmetic: does a block of order >= `order` exist that
// this request may take? Returns (found, saw_blocks_of_wrong_type).
std::pair<bool, bool> usable_block(const WmZone& z, int order, const AllocFlags& f, int* at) {
  bool wrong = false;
  for (size_t o = static_cast<size_t>(order); o < z.nr_free.size(); o++) {
    if (z.nr_free[o] <= 0) continue;
    if (!z.mt_known || o >= z.mt.size() || z.mt[o].empty()) {
      *at = static_cast<int>(o);
      return {true, false};
    }
    for (char c : z.mt[o])
      if (letter_allowed(c, f, z.legacy_letters)) {
        *at = static_cast<int>(o);
        return {true, false};
      }
    wrong = true;
  }
  return {false, wrong};
}

}  // namespace

const char* wm_algo_label(WmAlgo a) {
  switch (a) {
    case WmAlgo::Pre44: return "pre-4.4";
    case WmAlgo::Post44: return "4.4+";
    case WmAlgo::Post64: return "6.4+";
  }
  return "?";
}

WmAlgo wm_algo_for(KernelVersion kv) { return wm_rules_for(kv).algo; }

// The era table: each boundary of __zone_watermark_ok()'s arithmetic, from
// mm/page_alloc.c of each era, with the commit that set it.
const std::vector<WmBoundary>& wm_boundaries() {
  static const std::vector<WmBoundary> table = {
      {{2, 6, 37},
       "88f5acf88ae6 mm: page allocator: adjust the per-cpu counter threshold when memory is low",
       "free_pages is passed in and reduced by (1 << order) + 1 instead of (1 << order) - 1 (off by two)",
       [](WmRules& r) { r.off_by_two = true; }},
      {{3, 3},
       "mm: fix off-by-two in __zone_watermark_ok (Michal Hocko, Dec 2011)",
       "free_pages -= (1 << order) - 1 again",
       [](WmRules& r) { r.off_by_two = false; }},
      {{3, 7},
       "cma: fix watermark checking (Bartlomiej Zolnierkiewicz, 2012)",
       "free CMA pages no longer count for requests without ALLOC_CMA",
       [](WmRules& r) { r.cma_unusable = true; }},
      {{4, 4},
       "97a16fc82a7c mm, page_alloc: only enforce watermarks for order-0 allocations",
       "the per-order subtraction loop is replaced by: order-0 watermark, then any free block of a usable "
       "migratetype at order >= the request's",
       [](WmRules& r) { r.algo = WmAlgo::Post44; }},
      {{4, 4},
       "0aaa29a56e4f mm, page_alloc: reserve pageblocks for high-order atomic allocations on demand",
       "nr_reserved_highatomic is discounted for requests without ALLOC_HARDER/ALLOC_OOM",
       [](WmRules& r) { r.highatomic_reserve = true; }},
      {{5, 7},
       "97a225e69a1f mm/page_alloc: integrate classzone_idx and high_zoneidx",
       "lowmem_reserve[] is indexed by the highest zone the mask allows, not the preferred zone",
       [](WmRules& r) { r.classzone_highest = true; }},
      {{6, 4},
       "ab3508854353 mm/page_alloc: explicitly define what alloc flags deplete min reserves (and "
       "1ebbb21811b7, eb2e2b425c69)",
       "ALLOC_MIN_RESERVE/ALLOC_NON_BLOCK/ALLOC_HIGHATOMIC replace ALLOC_HIGH/ALLOC_HARDER",
       [](WmRules& r) { r.algo = WmAlgo::Post64; }},
      // Merged for 6.12-rc7 (mm-hotfixes-stable-2024-11-09-22-40, merge
      // 28e43197c446, before the v6.12 tag), not 6.13; a Fixes: commit, so
      // stable kernels before 6.12 may carry it too.
      {{6, 12},
       "c928807f6f6b mm/page_alloc: keep track of free highatomic",
       "the discount is the free highatomic pages (nr_free_highatomic), not the reserve size",
       [](WmRules& r) { r.free_highatomic = true; }},
  };
  return table;
}

// The state before every boundary, then each boundary up to `kv` in order.
WmRules wm_rules_for(KernelVersion kv) {
  WmRules r;
  for (const auto& b : wm_boundaries())
    if (kv >= b.at) b.apply(r);
  return r;
}

// As if `b` were (after) or were not (!after) in the kernel, all else as in
// `kv`: a distro kernel's backport, or a stable kernel without the fix.
WmRules wm_rules_with(KernelVersion kv, const WmBoundary& b, bool after) {
  WmRules r;
  for (const auto& x : wm_boundaries()) {
    bool in = &x == &b ? after : kv >= x.at;
    if (in) x.apply(r);
  }
  return r;
}

std::string wm_rules_describe(const WmRules& r) {
  std::string s = wm_algo_label(r.algo);
  if (r.off_by_two) s += ", off-by-two";
  if (r.algo != WmAlgo::Pre44) s += r.free_highatomic ? ", free highatomic" : ", highatomic reserve";
  return s;
}

const char* wm_fail_name(WmFail f) {
  switch (f) {
    case WmFail::None: return "none";
    case WmFail::Watermark: return "watermark";
    case WmFail::Reserve: return "lowmem_reserve";
    case WmFail::Cma: return "cma";
    case WmFail::Highatomic: return "highatomic_reserve";
    case WmFail::OrderStep: return "order_step";
    case WmFail::NoBlock: return "no_block";
    case WmFail::Migratetype: return "migratetype";
    case WmFail::HighatomicBlock: return "highatomic_blocks";
  }
  return "?";
}

const char* cause_name(Cause c) {
  switch (c) {
    case Cause::NotReproduced: return "not_reproduced";
    case Cause::LowFree: return "low_free_memory";
    case Cause::Reserve: return "reserve";
    case Cause::Fragmentation: return "fragmentation";
    case Cause::Migratetype: return "migratetype";
    case Cause::Inconclusive: return "inconclusive";
    case Cause::Highatomic: return "highatomic_reserve";
  }
  return "?";
}

namespace {

// Blocks of order >= `order` and the pages in them.
void count_blocks(const WmZone& z, int order, WmResult& r) {
  for (size_t o = static_cast<size_t>(order); o < z.nr_free.size() && o < 40; o++) {
    r.blocks_at_order += z.nr_free[o];
    r.pages_at_order += z.nr_free[o] << o;
  }
}

// Are all free blocks of order >= `order` in highatomic (H) pageblocks?
bool only_highatomic_blocks(const WmZone& z, int order) {
  if (!z.mt_known || z.legacy_letters) return false;
  bool any = false;
  for (size_t o = static_cast<size_t>(order); o < z.nr_free.size(); o++) {
    if (z.nr_free[o] <= 0) continue;
    if (o >= z.mt.size() || z.mt[o] != "H") return false;
    any = true;
  }
  return any;
}

WmResult check_no_watermarks(const WmZone& z, int order, const AllocFlags& f) {
  // Only the free lists are known (e.g. a report cut after the buddy line):
  // say whether a usable block exists and nothing about the watermark.
  WmResult r;
  r.steps.push_back("no free/min figures for this zone: the watermark cannot be checked");
  if (z.nr_free.empty()) {
    r.unknown = true;
    return r;
  }
  count_blocks(z, order, r);
  int at = -1;
  auto [found, wrong] = usable_block(z, order, f, &at);
  if (found) {
    r.unknown = true;
    r.steps.push_back("a usable free block of order " + num(at) + " exists");
    return r;
  }
  r.fail = wrong ? WmFail::Migratetype : WmFail::NoBlock;
  r.steps.push_back(wrong ? "every free block of order >= " + num(order) +
                                " is of a migratetype this request may not use"
                          : "no free block of order >= " + num(order));
  return r;
}

// ALLOC_* adjustments of the mark, in the order the kernel applies them.
// Returns the adjusted min; `text` gets the derivation.
int64_t adjust_min_post64(int64_t min, const AllocFlags& f, std::string& text) {
  if (f.high) {
    min -= min / 2;
    text += " -> " + num(min) + " (ALLOC_MIN_RESERVE: -min/2)";
    if (f.non_block) {
      min -= min / 4;
      text += " -> " + num(min) + " (ALLOC_NON_BLOCK: -min/4)";
    }
  }
  if (f.oom) {
    min -= min / 2;
    text += " -> " + num(min) + " (ALLOC_OOM: -min/2)";
  }
  return min;
}

int64_t adjust_min_pre64(int64_t min, const AllocFlags& f, WmAlgo algo, std::string& text) {
  if (f.high) {
    min -= min / 2;
    text += " -> " + num(min) + " (ALLOC_HIGH: -min/2)";
  }
  bool harder_like = algo == WmAlgo::Post44 ? (f.harder || f.oom) : f.harder;
  if (!harder_like) return min;
  bool oom = algo == WmAlgo::Post44 && f.oom;
  min -= oom ? min / 2 : min / 4;
  text += " -> " + num(min) + (oom ? " (ALLOC_OOM: -min/2)" : " (ALLOC_HARDER: -min/4)");
  return min;
}

// May the request use the highatomic reserve (skip its discount)?
bool may_use_highatomic(const AllocFlags& f, WmAlgo algo) {
  if (algo == WmAlgo::Post64) return f.high || f.non_block || f.highatomic || f.oom;  // ALLOC_RESERVES
  return f.harder || f.oom;
}

// Pre-4.4: for (o = 0; o < order; o++) { free -= nr_free[o] << o;
// min >>= 1; if (free <= min) return false; }  (free_cma not repeated)
void order_loop_pre44(const WmZone& z, int order, int64_t free_pages, int64_t min, const AllocFlags& f,
                      WmResult& r) {
  int64_t fp = free_pages;
  for (int o = 0; o < order; o++) {
    int64_t n = o < static_cast<int>(z.nr_free.size()) ? z.nr_free[o] : 0;
    fp -= n << o;
    min >>= 1;
    std::string what = o == 0 ? num(n) + " free order-0 pages"
                              : num(n) + " free order-" + num(o) + " blocks (" + num(n << o) + " pages)";
    bool fail = fp <= min;
    r.steps.push_back("order-" + num(o) + " step: after removing " + what + ", " + num(fp) +
                      " pages remain " + (fail ? "<= " : "> ") + num(min) +
                      " required: " + (fail ? "FAIL" : "ok"));
    if (fail) {
      r.fail = WmFail::OrderStep;
      r.fail_order = o;
      r.free_after = fp;
      r.required = min;
      return;
    }
  }
  r.free_after = fp;
  r.required = min;
  r.ok = true;
  // The check passed; rmqueue() still needs a block of a usable type.
  int at = -1;
  auto [found, wrong] = usable_block(z, order, f, &at);
  if (!found) {
    r.ok = false;
    r.fail = wrong ? WmFail::Migratetype : WmFail::NoBlock;
    r.steps.push_back(wrong ? "free lists: every block of order >= " + num(order) +
                                  " is CMA/isolated, which this request may not use: FAIL"
                            : "free lists: no block of order >= " + num(order) + ": FAIL");
  }
}

// 4.4+: for (o = order; o < MAX_ORDER; o++) a non-empty free list of an
// allowed migratetype is enough.
void order_loop_post44(const WmZone& z, int order, const AllocFlags& f, WmAlgo algo, WmResult& r) {
  int at = -1;
  auto [found, wrong] = usable_block(z, order, f, &at);
  if (found) {
    r.ok = true;
    r.assumed_migratetype = !z.mt_known;
    r.steps.push_back("order-" + num(at) + ": " + num(z.nr_free[at]) + " free block(s)" +
                      (z.mt_known ? " of a usable migratetype" : " (migratetype not shown; assumed usable)") +
                      ": ok");
    return;
  }
  r.fail_order = order;
  if (wrong && only_highatomic_blocks(z, order)) {
    r.fail = WmFail::HighatomicBlock;
    r.steps.push_back(
        "orders >= " + num(order) + ": " + num(r.blocks_at_order) +
        " free block(s), all in highatomic (H) pageblocks, which this request may not use: FAIL");
    return;
  }
  r.fail = wrong ? WmFail::Migratetype : WmFail::NoBlock;
  r.steps.push_back(wrong ? "orders >= " + num(order) +
                                ": free blocks exist only in migratetypes this request may not use (" +
                                std::string(may_use_highatomic(f, algo) ? "" : "highatomic H, ") +
                                (f.cma ? "" : "CMA C, ") + "isolate I): FAIL"
                          : "orders >= " + num(order) + ": no free block at all: FAIL");
}

// One run with a given highatomic discount.
WmResult check_with(const WmZone& z, int order, int64_t mark, int classzone_idx, const AllocFlags& f,
                    const WmRules& rules, int64_t ha_ded, const std::string& ha_what) {
  WmResult r;
  count_blocks(z, order, r);
  // 2.6.37-3.2 subtract (1 << order) + 1: two pages more than the request's other pages.
  const int64_t req_other = rules.off_by_two ? (int64_t{1} << order) + 1 : (int64_t{1} << order) - 1;
  int64_t free_raw = z.free - req_other;
  r.steps.push_back(
      "free " + num(z.free) + " - " + num(req_other) +
      (rules.off_by_two ? " ((1 << order) + 1: the 2.6.37-3.2 off-by-two)" : " (the request's other pages)") +
      " = " + num(free_raw));
  std::string mins = "mark " + num(mark);
  int64_t min = rules.algo == WmAlgo::Post64 ? adjust_min_post64(mark, f, mins)
                                             : adjust_min_pre64(mark, f, rules.algo, mins);
  if (!f.high && !f.harder && !f.non_block && !f.oom) mins += " (no ALLOC_HIGH/ALLOC_HARDER)";
  r.steps.push_back(mins);
  int64_t cma_ded = (!f.cma && rules.cma_unusable) ? z.free_cma : 0;
  if (ha_ded > 0) r.steps.push_back("- " + num(ha_ded) + " " + ha_what);
  if (cma_ded > 0) r.steps.push_back("- " + num(cma_ded) + " free CMA pages this request may not use");

  r.min_adjusted = min;
  bool have_reserve = classzone_idx >= 0 && static_cast<size_t>(classzone_idx) < z.lowmem_reserve.size();
  r.reserve = have_reserve ? z.lowmem_reserve[classzone_idx] : 0;
  if (!have_reserve) r.steps.push_back("lowmem_reserve for this class zone not known: taken as 0");
  int64_t avail = free_raw - ha_ded - cma_ded;
  r.free_after = avail;
  r.required = min + r.reserve;
  bool fail = avail <= r.required;
  r.steps.push_back("order-0 watermark: " + num(avail) + (fail ? " <= " : " > ") + num(min) +
                    " + lowmem_reserve " + num(r.reserve) + " = " + num(r.required) +
                    (fail ? ": FAIL" : ": ok"));
  if (fail) {
    if (free_raw <= r.required)
      r.fail = (r.reserve > 0 && free_raw > min) ? WmFail::Reserve : WmFail::Watermark;
    else
      r.fail = (cma_ded > 0 && free_raw - ha_ded > r.required) ? WmFail::Cma : WmFail::Highatomic;
    return r;
  }
  if (order == 0) {
    r.ok = true;
    return r;
  }
  if (z.nr_free.empty()) {
    r.unknown = true;
    r.steps.push_back("no per-order free counts: the order-" + num(order) + " part cannot be checked");
    return r;
  }
  if (rules.algo == WmAlgo::Pre44)
    order_loop_pre44(z, order, free_raw, min, f, r);
  else
    order_loop_post44(z, order, f, rules.algo, r);
  return r;
}

bool same_outcome(const WmResult& a, const WmResult& b) {
  return a.ok == b.ok && a.unknown == b.unknown && a.fail == b.fail;
}

}  // namespace

WmResult check_watermark(const WmZone& z, int order, int64_t mark, int classzone_idx, const AllocFlags& f,
                         const WmRules& rules, char migratetype) {
  (void)migratetype;  // the request's type only matters through f.cma
  order = std::clamp(order, 0, 20);
  if (!z.has_watermarks) return check_no_watermarks(z, order, f);
  if (rules.algo == WmAlgo::Pre44 || !rules.highatomic_reserve || may_use_highatomic(f, rules.algo) ||
      z.reserved_highatomic <= 0)
    return check_with(z, order, mark, classzone_idx, f, rules, 0, "");
  if (!rules.free_highatomic)
    return check_with(z, order, mark, classzone_idx, f, rules, z.reserved_highatomic,
                      "pages of highatomic reserve this request may not use (nr_reserved_highatomic)");
  if (z.free_highatomic >= 0)
    return check_with(z, order, mark, classzone_idx, f, rules, z.free_highatomic,
                      "free highatomic pages this request may not use (nr_free_highatomic, 6.12+)");
  // 6.12+ discounts the free highatomic pages, which reports before
  // show_free_areas() printed free_highatomic do not show: anything from 0
  // to the reserve size. Decide only when both ends agree.
  WmResult lo = check_with(z, order, mark, classzone_idx, f, rules, 0, "");
  WmResult hi = check_with(z, order, mark, classzone_idx, f, rules, z.reserved_highatomic,
                           "free highatomic pages at most (the reserve size; free_highatomic not printed)");
  if (same_outcome(lo, hi)) return hi;
  hi.unknown = true;
  hi.ok = false;
  hi.steps.push_back("free_highatomic is not in the report and the result depends on it (0 pages: " +
                     std::string(lo.ok ? "ok" : wm_fail_name(lo.fail)) + ", " + num(z.reserved_highatomic) +
                     " pages: " + (hi.ok ? "ok" : wm_fail_name(hi.fail)) + "): undecided");
  return hi;
}

WmResult check_watermark(const WmZone& z, int order, int64_t mark, int classzone_idx, const AllocFlags& f,
                         WmAlgo algo, char migratetype) {
  WmRules rules;
  rules.algo = algo;
  rules.cma_unusable = true;
  rules.highatomic_reserve = algo != WmAlgo::Pre44;
  return check_watermark(z, order, mark, classzone_idx, f, rules, migratetype);
}

std::vector<WmZone> zones_to_wm(const std::vector<ZoneInfo>& zones) {
  std::vector<WmZone> out;
  for (const auto& z : zones) {
    if (!z.populated()) continue;
    WmZone w;
    w.nid = z.nid;
    w.name = z.name;
    w.zone_idx = z.zid;
    w.has_watermarks = true;
    w.free = static_cast<int64_t>(z.free);
    w.min = static_cast<int64_t>(z.min);
    w.low = static_cast<int64_t>(z.low);
    w.high = static_cast<int64_t>(z.high);
    for (uint64_t p : z.protection) w.lowmem_reserve.push_back(static_cast<int64_t>(p));
    w.free_cma = static_cast<int64_t>(z.stat("nr_free_cma"));
    w.reserved_highatomic = static_cast<int64_t>(z.stat("nr_reserved_highatomic"));
    for (uint64_t n : z.free_blocks) w.nr_free.push_back(static_cast<int64_t>(n));
    out.push_back(std::move(w));
  }
  return out;
}

namespace {

Cause cause_of(WmFail f) {
  switch (f) {
    case WmFail::Watermark: return Cause::LowFree;
    case WmFail::Reserve:
    case WmFail::Highatomic: return Cause::Reserve;
    case WmFail::OrderStep:
    case WmFail::NoBlock: return Cause::Fragmentation;
    case WmFail::Cma:
    case WmFail::Migratetype: return Cause::Migratetype;
    case WmFail::HighatomicBlock: return Cause::Highatomic;
    case WmFail::None: return Cause::Inconclusive;
  }
  return Cause::Inconclusive;
}

std::string kb(int64_t pages) { return std::to_string(pages * 4) + " kB"; }
std::string zone_label(const WmZone& z) { return "Node " + std::to_string(z.nid) + " " + z.name; }
const WmResult& min_result(const ZoneReport& zr) { return zr.marks.front().second; }

// Highest usable zone index: the largest index whose zone type is not
// above gfp_zone() of the mask (HighMem/Movable fall back to Normal).
int highest_zone_index(const std::vector<WmZone>& zones, const ExplainRequest& req) {
  int want = zone_rank(req.gfp.highest_zone);
  int highest = -1;
  for (size_t i = 0; i < req.layout.size(); i++)
    if (zone_rank(req.layout[i]) <= want) highest = static_cast<int>(i);
  if (highest < 0)
    for (const auto& z : zones)
      if (zone_rank(z.name) <= want) highest = std::max(highest, z.zone_idx);
  return highest;
}

// Node-ordered zonelist: the local node's zones from high to low first.
// Which node was local is not in the report; node order is assumed.
std::vector<const WmZone*> build_zonelist(const std::vector<WmZone>& zones, int highest) {
  std::vector<const WmZone*> list;
  for (const auto& z : zones)
    if (z.zone_idx >= 0 && z.zone_idx <= highest) list.push_back(&z);
  std::stable_sort(list.begin(), list.end(), [](const WmZone* a, const WmZone* b) {
    if (a->nid != b->nid) return a->nid < b->nid;
    return a->zone_idx > b->zone_idx;
  });
  return list;
}

// Class zone for lowmem_reserve[]: 5.7+ uses the highest zone the mask
// allows (97a225e69a1f); before that it was the preferred (first usable) zone.
void set_classzone(Explanation& ex, const std::vector<WmZone>& zones, const std::vector<const WmZone*>& list,
                   int highest, const ExplainRequest& req) {
  ex.classzone_idx = (ex.rules.classzone_highest || list.empty()) ? highest : list.front()->zone_idx;
  if (ex.classzone_idx >= 0 && static_cast<size_t>(ex.classzone_idx) < req.layout.size())
    ex.classzone = req.layout[ex.classzone_idx];
  else
    for (const auto& z : zones)
      if (z.zone_idx == ex.classzone_idx) ex.classzone = z.name;
}

// What-if variants on the preferred zone at the min watermark: how the
// GFP-derived ALLOC_* flags and the algorithm era change the outcome.
void add_what_ifs(Explanation& ex, const ExplainRequest& req) {
  const WmZone& pz = ex.zonelist.front().zone;
  const WmRules& rules = ex.rules;
  AllocFlags none;
  none.cma = ex.flags.cma;
  AllocFlags high = none;
  high.high = true;
  AllocFlags atomic = high;
  bool v64 = rules.algo == WmAlgo::Post64;
  if (v64)
    atomic.non_block = true, atomic.highatomic = req.order > 0;
  else
    atomic.harder = true;
  auto check = [&](const AllocFlags& f, const WmRules& r, char mt) {
    return check_watermark(pz, req.order, pz.min, ex.classzone_idx, f, r, mt);
  };
  ex.what_if.push_back({"sleeping allocation (no reserves)", check(none, rules, 'U')});
  ex.what_if.push_back(
      {v64 ? "__GFP_HIGH (ALLOC_MIN_RESERVE)" : "__GFP_HIGH (ALLOC_HIGH)", check(high, rules, 'U')});
  ex.what_if.push_back(
      {v64 ? "GFP_ATOMIC (ALLOC_MIN_RESERVE|ALLOC_NON_BLOCK)" : "GFP_ATOMIC (ALLOC_HIGH|ALLOC_HARDER)",
       check(atomic, rules, 'U')});
  WmRules other = rules;
  other.algo = rules.algo == WmAlgo::Pre44 ? WmAlgo::Post44 : WmAlgo::Pre44;
  other.highatomic_reserve = other.algo != WmAlgo::Pre44;
  ex.what_if.push_back({std::string("same flags, ") + wm_algo_label(other.algo) + " algorithm",
                        check(ex.flags, other, req.gfp.migratetype)});
}

bool fails_beyond_order0(WmFail f) {
  return f == WmFail::OrderStep || f == WmFail::NoBlock || f == WmFail::Migratetype ||
         f == WmFail::HighatomicBlock;
}

// The zone the verdict is about. A kernel engineer reads the report for the
// zone that *could* have served the request: when some zone passed the
// order-0 part (or failed only at an order step) that zone, the one with the
// most free memory among them, decides; otherwise the preferred zone.
int pick_decisive(const Explanation& ex) {
  int best = -1;
  for (size_t i = 0; i < ex.zonelist.size(); i++) {
    const WmResult& r = min_result(ex.zonelist[i]);
    if (r.unknown || r.ok || !fails_beyond_order0(r.fail)) continue;
    if (best < 0 || ex.zonelist[i].zone.free > ex.zonelist[best].zone.free) best = static_cast<int>(i);
  }
  return best >= 0 ? best : 0;
}

// "4 free blocks of order >= 3 (40 pages, 2% of the zone's free pages)"
std::string blocks_text(const WmZone& z, const WmResult& r, int order) {
  std::string s = std::to_string(r.blocks_at_order) + " free block(s) of order >= " + std::to_string(order) +
                  " (" + std::to_string(r.pages_at_order) + " pages";
  if (z.free > 0) s += ", " + std::to_string(r.pages_at_order * 100 / z.free) + "% of its free pages";
  return s + ")";
}

std::string order_step_verdict(const WmZone& z, const WmResult& r, int order) {
  std::string s = "fragmentation: " + zone_label(z) + " has " + kb(z.free) + " free";
  if (r.blocks_at_order > 0)
    s += " and " + blocks_text(z, r, order) + ", but the pre-4.4 iterative check refused them";
  else
    s += " but no block of order >= " + std::to_string(order) + ", and the pre-4.4 iterative check refused";
  std::string removed = r.fail_order == 0 ? "the order-0 pages" : "orders 0-" + std::to_string(r.fail_order);
  s += ": it discounts the free pages of each order below " + std::to_string(order) +
       " and halves the mark per order, and after removing " + removed + " only " +
       std::to_string(r.free_after) + " pages were left <= " + std::to_string(r.required) + " required";
  if (z.free > 0)
    s += "; " + std::to_string(100 - r.pages_at_order * 100 / z.free) +
         "% of its free memory sits in blocks smaller than order " + std::to_string(order);
  return s;
}

std::string fail_verdict(const WmZone& z, const WmResult& r, const Explanation& ex, int order) {
  std::string zn = zone_label(z);
  switch (r.fail) {
    case WmFail::Watermark:
      return "low free memory: " + zn + " had " + std::to_string(r.free_after) +
             " usable free pages, at or below the " + std::to_string(r.required) +
             " the min watermark requires for this request";
    case WmFail::Reserve:
      return "reserve: " + zn + " is above its min watermark but inside the lowmem_reserve it keeps for " +
             ex.classzone + " allocations (" + std::to_string(r.free_after) +
             " <= " + std::to_string(r.required) + ")";
    case WmFail::Highatomic:
      return "reserve: " + zn +
             " meets the mark only with its highatomic reserve, which this request may not use";
    case WmFail::Cma:
      return "migratetype: " + zn +
             " meets the mark only by counting free CMA pages, which a non-movable request may not use";
    case WmFail::OrderStep: return order_step_verdict(z, r, order);
    case WmFail::NoBlock:
      return "fragmentation: " + zn + " passes the order-0 watermark (" + std::to_string(r.free_after) +
             " > " + std::to_string(r.required) + ") but has no free block of order " +
             std::to_string(order) + " or larger";
    case WmFail::Migratetype:
      return "migratetype: " + zn + " has " + blocks_text(z, r, order) +
             ", but only in pageblocks this request may not use (CMA, highatomic or isolated)";
    case WmFail::HighatomicBlock:
      return "highatomic reserve: " + zn + " passes the order-0 watermark and has " +
             blocks_text(z, r, order) +
             ", but all of them sit in highatomic (H) pageblocks, reserved for high-order atomic "
             "allocations; "
             "this request may not use them";
    case WmFail::None: break;
  }
  return "";
}

// "DMA: low free memory (220 <= 1009)"
std::string zone_summary(const ZoneReport& zr) {
  const WmResult& r = min_result(zr);
  std::string s = zr.zone.name + ": ";
  if (r.ok) return s + "passes";
  if (r.unknown) return s + "undecided";
  s += wm_fail_name(r.fail);
  if (r.fail == WmFail::OrderStep) s += " at order-" + std::to_string(r.fail_order);
  if (r.fail != WmFail::NoBlock && r.fail != WmFail::Migratetype && r.fail != WmFail::HighatomicBlock)
    s += " (" + std::to_string(r.free_after) + " <= " + std::to_string(r.required) + ")";
  return s;
}

void set_verdict(Explanation& ex, const ExplainRequest& req) {
  if (!req.zones_complete) {
    // Neither a failure nor a pass: the missing zones decide both (the
    // zonelist, and before 5.7 the lowmem_reserve class zone).
    ex.cause = Cause::Inconclusive;
    std::string seen;
    for (const auto& zr : ex.zonelist) seen += (seen.empty() ? "" : ", ") + zone_summary(zr);
    ex.verdict =
        "the report is cut before all of its zones were printed, so nothing is concluded (zones seen: " +
        (seen.empty() ? std::string("none") : seen) + ")";
    return;
  }
  bool any_ok = false, any_unknown = false;
  for (const auto& zr : ex.zonelist) {
    any_ok = any_ok || min_result(zr).ok;
    any_unknown = any_unknown || min_result(zr).unknown;
  }
  if (any_ok) {
    ex.cause = Cause::NotReproduced;
    for (size_t i = 0; i < ex.zonelist.size() && ex.decisive < 0; i++)
      if (min_result(ex.zonelist[i]).ok) ex.decisive = static_cast<int>(i);
    std::string which = zone_label(ex.zonelist[ex.decisive].zone);
    if (req.all_marks)
      ex.verdict = "the allocation would succeed now: it passes the min watermark in " + which;
    else
      ex.verdict =
          "the figures pass the min-watermark check in " + which +
          ", so they do not show why the allocation failed: the state changed between the failure and "
          "the printout, or a limit outside these figures applied (cpuset/nodemask, "
          "__GFP_NORETRY/__GFP_NOWAIT giving up early, a memcg, an RT/OOM-victim context)";
    return;
  }
  if (any_unknown) {
    ex.cause = Cause::Inconclusive;
    std::string undecided;
    for (const auto& zr : ex.zonelist)
      if (min_result(zr).unknown) undecided += (undecided.empty() ? "" : ", ") + zone_label(zr.zone);
    ex.verdict = "the figures for " + undecided + " are incomplete; the check cannot be decided";
    return;
  }
  ex.decisive = pick_decisive(ex);
  const ZoneReport& dz = ex.zonelist[ex.decisive];
  ex.cause = cause_of(min_result(dz).fail);
  ex.verdict = fail_verdict(dz.zone, min_result(dz), ex, req.order);
  std::string rest;
  for (size_t i = 0; i < ex.zonelist.size(); i++)
    if (static_cast<int>(i) != ex.decisive) rest += (rest.empty() ? "" : ", ") + zone_summary(ex.zonelist[i]);
  if (!rest.empty()) ex.verdict += "; the other zones in the zonelist failed too (" + rest + ")";
}

std::string compaction_advice(KernelVersion kv) {
  if (kv < KernelVersion{2, 6, 35})
    return "this kernel has no memory compaction (it came in 2.6.35): only reclaim frees contiguous blocks, "
           "so "
           "keep more memory free (vm.min_free_kbytes) or move to a kernel with compaction";
  std::string s =
      "free memory is there but split into small blocks: compaction helps (echo 1 > "
      "/proc/sys/vm/compact_memory)";
  if (kv >= KernelVersion{5, 9})
    s += "; kcompactd and proactive compaction (vm.compaction_proactiveness) run it in the background";
  else if (kv >= KernelVersion{4, 6})
    s += "; kcompactd runs it in the background when kswapd wakes";
  return s;
}

std::string headroom_advice(KernelVersion kv) {
  std::string s = "raise vm.min_free_kbytes so kswapd keeps more headroom";
  if (kv >= KernelVersion{4, 6}) s += "; also vm.watermark_scale_factor (4.6+)";
  return s;
}

void fragmentation_advice(Explanation& ex, const ExplainRequest& req) {
  ex.advice.push_back(compaction_advice(req.kv));
  ex.advice.push_back(headroom_advice(req.kv));
  if (!req.gfp.can_sleep)
    ex.advice.push_back(
        "avoid high-order atomic allocations: the caller (driver/slab cache) should fall back to order-0 "
        "pages; "
        "e.g. smaller MTU or ring sizes for network drivers");
  else if (req.order >= 3)
    ex.advice.push_back(std::string("a sleeping order-") + std::to_string(req.order) +
                        " request: the caller can fall back to smaller allocations" +
                        (req.kv >= KernelVersion{4, 12} ? " or kvmalloc()" : " or vmalloc()"));
  if (ex.rules.algo == WmAlgo::Pre44)
    ex.advice.push_back(
        "kernels 4.4+ (97a16fc82a7c) only require one suitable free block above the order-0 watermark; this "
        "iterative pre-4.4 check is much stricter");
}

void lowfree_advice(Explanation& ex, const ExplainRequest& req) {
  ex.advice.push_back(
      "the zone ran out of free pages faster than reclaim refilled it: raise vm.min_free_kbytes (wakes "
      "kswapd "
      "earlier and enlarges the reserve atomic allocations may dip into)");
  if (!req.gfp.can_sleep)
    ex.advice.push_back(
        std::string("atomic allocations cannot reclaim; bursts (network receive, interrupt "
                    "handlers) need that headroom") +
        (req.kv >= KernelVersion{4, 6} ? ": see vm.watermark_scale_factor (4.6+) and" : ": see") +
        " the driver's buffer sizes");
  else
    ex.advice.push_back(
        "a sleeping allocation failing here means reclaim found nothing to free: check for memory held by "
        "unreclaimable slab, pinned or mlocked pages, or too little RAM/swap");
}

void set_advice(Explanation& ex, const ExplainRequest& req) {
  switch (ex.cause) {
    case Cause::Fragmentation: fragmentation_advice(ex, req); break;
    case Cause::LowFree: lowfree_advice(ex, req); break;
    case Cause::Reserve:
      ex.advice.push_back(
          "lowmem_reserve (vm.lowmem_reserve_ratio) deliberately keeps lower zones for allocations that can "
          "only "
          "use them; the real shortage is in the higher zone");
      break;
    case Cause::Migratetype:
      ex.advice.push_back(
          "free memory sits in CMA/highatomic/isolated pageblocks: shrink the CMA area (cma=) if unmovable "
          "allocations need the memory, or make the allocation movable");
      break;
    case Cause::Highatomic:
      ex.advice.push_back(
          "the highatomic reserve (at most ~1% of the zone, 0aaa29a56e4f) keeps high-order blocks for atomic "
          "callers; direct reclaim releases it (unreserve_highatomic_pageblock()) only when reclaim makes no "
          "progress, so a request that gives up early (__GFP_NORETRY, no direct reclaim) never sees those "
          "blocks");
      ex.advice.push_back(compaction_advice(req.kv));
      break;
    case Cause::NotReproduced:
      ex.advice.push_back(
          "capture /proc/zoneinfo and /proc/buddyinfo closer to the failure (kswaptrace traces the "
          "allocation "
          "path live) to see the state the allocator saw");
      break;
    case Cause::Inconclusive:
      ex.advice.push_back(
          "paste the whole report including the Mem-Info zone lines, lowmem_reserve[] and the per-order "
          "buddy "
          "lines");
      break;
  }
  if (req.xen_guest)
    ex.advice.push_back(
        "Xen guest: memory taken away by the balloon after boot leaves watermarks and kernel buffers sized "
        "for "
        "the boot-time size. Give dom0 a fixed size with dom0_mem= on the Xen command line (e.g. "
        "dom0_mem=2048M,max:2048M), and give domUs memory=maxmem or enough headroom instead of ballooning "
        "them "
        "down to the limit");
}

void set_notes(Explanation& ex, const ExplainRequest& req) {
  bool all_known = true;
  for (const auto& zr : ex.zonelist) all_known = all_known && !min_result(zr).unknown;
  if (!all_known) ex.notes.push_back("some zones lack per-order or watermark figures; see the steps");
  if (req.comm.rfind("kswapd", 0) != 0) return;
  if (req.gfp.nomemalloc)
    ex.notes.push_back(
        "the task is kswapd, but __GFP_NOMEMALLOC keeps its PF_MEMALLOC reserves out of reach: an allocation "
        "kswapd makes itself (e.g. from reclaim) gets the min-watermark check and, already reclaiming, no "
        "direct "
        "reclaim of its own");
  else
    ex.notes.push_back(
        "the task is kswapd: its own allocations may use reserves (PF_MEMALLOC), so this one most likely ran "
        "in "
        "interrupt context on kswapd's CPU");
}

Explanation explain_with(const std::vector<WmZone>& zones, const ExplainRequest& req, const WmRules& rules) {
  Explanation ex;
  ex.rules = rules;
  ex.flags = alloc_flags_for(req.gfp, req.kv, req.order);
  int highest = highest_zone_index(zones, req);
  std::vector<const WmZone*> list = build_zonelist(zones, highest);
  set_classzone(ex, zones, list, highest, req);
  const char* marks[] = {"min", "low", "high"};
  int nmarks = req.all_marks ? 3 : 1;
  for (const WmZone* z : list) {
    ZoneReport zr;
    zr.zone = *z;
    for (int m = 0; m < nmarks; m++) {
      int64_t mark = m == 0 ? z->min : (m == 1 ? z->low : z->high);
      zr.marks.push_back({marks[m], check_watermark(*z, req.order, mark, ex.classzone_idx, ex.flags, rules,
                                                    req.gfp.migratetype)});
    }
    ex.zonelist.push_back(std::move(zr));
  }
  if (ex.zonelist.empty()) {
    ex.cause = Cause::Inconclusive;
    ex.verdict = zones.empty() ? "no zone figures to check (the report has no Mem-Info zone lines)"
                               : "no zone of the report is in this allocation's zonelist";
  } else {
    add_what_ifs(ex, req);
    set_verdict(ex, req);
  }
  set_advice(ex, req);
  set_notes(ex, req);
  return ex;
}

// Boundaries whose side this kernel is on is not certain: every boundary
// inside a guessed version range, and the next one after a distro kernel
// (backports). Each is tried the other way; the result says whether it matters.
void add_era_alternatives(Explanation& ex, const std::vector<WmZone>& zones, const ExplainRequest& req) {
  if (!req.kv_low || !req.kv_high) return;
  for (const auto& b : wm_boundaries()) {
    if (b.at <= *req.kv_low || b.at > *req.kv_high) continue;
    bool applied = !(req.kv >= b.at);
    WmRules alt = wm_rules_with(req.kv, b, applied);
    if (ex.rules.algo != wm_rules_for(req.kv).algo) alt.algo = ex.rules.algo;  // --algorithm wins
    Explanation other = explain_with(zones, req, alt);
    EraAlternative a;
    a.boundary = to_string(b.at) + ": " + b.commit;
    a.applied = applied;
    a.cause = other.cause;
    a.changes = other.cause != ex.cause || other.decisive != ex.decisive;
    a.text = std::string(applied ? "with " : "without ") + to_string(b.at) + " (" + b.change + "): " +
             (a.changes ? "the verdict becomes " + std::string(cause_name(other.cause)) + ": " + other.verdict
                        : "same verdict");
    ex.era_alternatives.push_back(std::move(a));
  }
}

}  // namespace

Explanation explain(const std::vector<WmZone>& zones, const ExplainRequest& req) {
  WmRules rules = req.rules ? *req.rules : wm_rules_for(req.kv);
  if (!req.rules) rules.algo = req.algo;
  Explanation ex = explain_with(zones, req, rules);
  add_era_alternatives(ex, zones, req);
  return ex;
}

}  // namespace kst
