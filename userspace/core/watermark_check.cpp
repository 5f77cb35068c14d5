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

WmAlgo wm_algo_for(KernelVersion kv) {
  if (kv < KernelVersion{4, 4}) return WmAlgo::Pre44;
  if (kv < KernelVersion{6, 4}) return WmAlgo::Post44;
  return WmAlgo::Post64;
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
  }
  return "?";
}

WmResult check_watermark(const WmZone& z, int order, int64_t mark, int classzone_idx, const AllocFlags& f,
                         WmAlgo algo, char migratetype) {
  (void)migratetype;  // the request's type only matters through f.cma
  WmResult r;
  order = std::clamp(order, 0, 20);
  if (!z.has_watermarks) {
    // Only the free lists are known (e.g. a report cut after the buddy line):
    // say whether a usable block exists and nothing about the watermark.
    r.steps.push_back("no free/min figures for this zone: the watermark cannot be checked");
    if (z.nr_free.empty()) {
      r.unknown = true;
      return r;
    }
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

  const int64_t req_other = (int64_t{1} << order) - 1;
  int64_t free_raw = z.free - req_other;
  r.steps.push_back("free " + num(z.free) + " - " + num(req_other) +
                    " (the request's other pages) = " + num(free_raw));

  // min adjustments, in the order the kernel applies them
  int64_t min = mark;
  std::string mins = "mark " + num(mark);
  bool harder_like = false;
  int64_t ha_ded = 0, cma_ded = 0;
  if (algo == WmAlgo::Post64) {
    bool reserves = f.high || f.non_block || f.highatomic || f.oom;  // ALLOC_RESERVES
    if (!reserves) ha_ded = z.reserved_highatomic;
    if (f.high) {
      min -= min / 2;
      mins += " -> " + num(min) + " (ALLOC_MIN_RESERVE: -min/2)";
      if (f.non_block) {
        min -= min / 4;
        mins += " -> " + num(min) + " (ALLOC_NON_BLOCK: -min/4)";
      }
    }
    if (f.oom) {
      min -= min / 2;
      mins += " -> " + num(min) + " (ALLOC_OOM: -min/2)";
    }
    harder_like = f.highatomic || f.oom;
  } else {
    if (f.high) {
      min -= min / 2;
      mins += " -> " + num(min) + " (ALLOC_HIGH: -min/2)";
    }
    if (algo == WmAlgo::Post44) {
      harder_like = f.harder || f.oom;
      if (!harder_like) {
        ha_ded = z.reserved_highatomic;
      } else {
        min -= f.oom ? min / 2 : min / 4;
        mins += " -> " + num(min) + (f.oom ? " (ALLOC_OOM: -min/2)" : " (ALLOC_HARDER: -min/4)");
      }
    } else if (f.harder) {
      min -= min / 4;
      mins += " -> " + num(min) + " (ALLOC_HARDER: -min/4)";
    }
  }
  if (!f.high && !f.harder && !f.non_block && !f.oom) mins += " (no ALLOC_HIGH/ALLOC_HARDER)";
  r.steps.push_back(mins);
  if (!f.cma) cma_ded = z.free_cma;
  if (ha_ded > 0)
    r.steps.push_back("- " + num(ha_ded) + " pages of highatomic reserve this request may not use");
  if (cma_ded > 0) r.steps.push_back("- " + num(cma_ded) + " free CMA pages this request may not use");

  r.min_adjusted = min;
  bool have_reserve = classzone_idx >= 0 && static_cast<size_t>(classzone_idx) < z.lowmem_reserve.size();
  r.reserve = have_reserve ? z.lowmem_reserve[classzone_idx] : 0;
  if (!have_reserve) r.steps.push_back("lowmem_reserve for this class zone not known: taken as 0");
  int64_t avail = free_raw - ha_ded - cma_ded;
  r.free_after = avail;
  r.required = min + r.reserve;
  if (avail <= min + r.reserve) {
    r.steps.push_back("order-0 watermark: " + num(avail) + " <= " + num(min) + " + lowmem_reserve " +
                      num(r.reserve) + " = " + num(min + r.reserve) + ": FAIL");
    if (free_raw <= min + r.reserve)
      r.fail = (r.reserve > 0 && free_raw > min) ? WmFail::Reserve : WmFail::Watermark;
    else
      r.fail = (cma_ded > 0 && free_raw - ha_ded > min + r.reserve) ? WmFail::Cma : WmFail::Highatomic;
    return r;
  }
  r.steps.push_back("order-0 watermark: " + num(avail) + " > " + num(min) + " + lowmem_reserve " +
                    num(r.reserve) + " = " + num(min + r.reserve) + ": ok");
  if (order == 0) {
    r.ok = true;
    return r;
  }
  if (z.nr_free.empty()) {
    r.unknown = true;
    r.steps.push_back("no per-order free counts: the order-" + num(order) + " part cannot be checked");
    return r;
  }

  if (algo == WmAlgo::Pre44) {
    // for (o = 0; o < order; o++) { free -= nr_free[o] << o; min >>= 1;
    //   if (free <= min) return false; }   (the free_cma term is not repeated)
    int64_t fp = free_raw;
    for (int o = 0; o < order; o++) {
      int64_t n = o < static_cast<int>(z.nr_free.size()) ? z.nr_free[o] : 0;
      fp -= n << o;
      min >>= 1;
      std::string what = o == 0 ? num(n) + " free order-0 pages"
                                : num(n) + " free order-" + num(o) + " blocks (" + num(n << o) + " pages)";
      if (fp <= min) {
        r.steps.push_back("order-" + num(o) + " step: after removing " + what + ", " + num(fp) +
                          " pages remain <= " + num(min) + " required: FAIL");
        r.fail = WmFail::OrderStep;
        r.fail_order = o;
        r.free_after = fp;
        r.required = min;
        return r;
      }
      r.steps.push_back("order-" + num(o) + " step: after removing " + what + ", " + num(fp) +
                        " pages remain > " + num(min) + " required: ok");
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
    return r;
  }

  // 4.4+: for (o = order; o < MAX_ORDER; o++) a non-empty free list of an
  // allowed migratetype is enough.
  int at = -1;
  auto [found, wrong] = usable_block(z, order, f, &at);
  if (found) {
    r.ok = true;
    r.assumed_migratetype = !z.mt_known;
    r.steps.push_back("order-" + num(at) + ": " + num(z.nr_free[at]) + " free block(s)" +
                      (z.mt_known ? " of a usable migratetype" : " (migratetype not shown; assumed usable)") +
                      ": ok");
    return r;
  }
  r.fail = wrong ? WmFail::Migratetype : WmFail::NoBlock;
  r.fail_order = order;
  r.steps.push_back(wrong ? "orders >= " + num(order) +
                                ": free blocks exist only in migratetypes this request "
                                "may not use (" +
                                std::string(harder_like ? "" : "highatomic H, ") + (f.cma ? "" : "CMA C, ") +
                                "isolate I): FAIL"
                          : "orders >= " + num(order) + ": no free block at all: FAIL");
  return r;
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
    case WmFail::None: return Cause::Inconclusive;
  }
  return Cause::Inconclusive;
}

std::string kb(int64_t pages) { return std::to_string(pages * 4) + " kB"; }

}  // namespace

Explanation explain(const std::vector<WmZone>& zones, const ExplainRequest& req) {
  Explanation ex;
  ex.flags = alloc_flags_for(req.gfp, req.kv, req.order);

  // Highest usable zone index: the largest index whose zone type is not
  // above gfp_zone() of the mask (HighMem/Movable fall back to Normal).
  int want = zone_rank(req.gfp.highest_zone);
  int highest = -1;
  for (size_t i = 0; i < req.layout.size(); i++)
    if (zone_rank(req.layout[i]) <= want) highest = static_cast<int>(i);
  if (highest < 0)
    for (const auto& z : zones)
      if (zone_rank(z.name) <= want) highest = std::max(highest, z.zone_idx);

  std::vector<const WmZone*> list;
  for (const auto& z : zones)
    if (z.zone_idx >= 0 && z.zone_idx <= highest) list.push_back(&z);
  // Node-ordered zonelist: the local node's zones from high to low first.
  // Which node was local is not in the report; node order is assumed.
  std::stable_sort(list.begin(), list.end(), [](const WmZone* a, const WmZone* b) {
    if (a->nid != b->nid) return a->nid < b->nid;
    return a->zone_idx > b->zone_idx;
  });

  // Class zone for lowmem_reserve[]: 5.7+ uses the highest zone the mask
  // allows (97a225e69a1f "mm/page_alloc: integrate classzone_idx and
  // high_zoneidx"); before that it was the preferred (first usable) zone.
  if (req.kv >= KernelVersion{5, 7} || list.empty())
    ex.classzone_idx = highest;
  else
    ex.classzone_idx = list.front()->zone_idx;
  if (ex.classzone_idx >= 0 && static_cast<size_t>(ex.classzone_idx) < req.layout.size())
    ex.classzone = req.layout[ex.classzone_idx];
  else
    for (const auto& z : zones)
      if (z.zone_idx == ex.classzone_idx) ex.classzone = z.name;

  const char* marks[] = {"min", "low", "high"};
  int nmarks = req.all_marks ? 3 : 1;
  for (const WmZone* z : list) {
    ZoneReport zr;
    zr.zone = *z;
    for (int m = 0; m < nmarks; m++) {
      int64_t mark = m == 0 ? z->min : (m == 1 ? z->low : z->high);
      zr.marks.push_back({marks[m], check_watermark(*z, req.order, mark, ex.classzone_idx, ex.flags, req.algo,
                                                    req.gfp.migratetype)});
    }
    ex.zonelist.push_back(std::move(zr));
  }

  if (ex.zonelist.empty()) {
    ex.cause = Cause::Inconclusive;
    ex.verdict = zones.empty() ? "no zone figures to check (the report has no Mem-Info zone lines)"
                               : "no zone of the report is in this allocation's zonelist";
  } else {
    const WmZone& pz = ex.zonelist.front().zone;
    // What-if variants on the preferred zone at the min watermark: how the
    // GFP-derived ALLOC_* flags and the algorithm era change the outcome.
    AllocFlags none;
    none.cma = ex.flags.cma;
    AllocFlags high = none;
    high.high = true;
    AllocFlags atomic = high;
    if (req.algo == WmAlgo::Post64)
      atomic.non_block = true, atomic.highatomic = req.order > 0;
    else
      atomic.harder = true;
    bool v64 = req.algo == WmAlgo::Post64;
    ex.what_if.push_back({"sleeping allocation (no reserves)",
                          check_watermark(pz, req.order, pz.min, ex.classzone_idx, none, req.algo, 'U')});
    ex.what_if.push_back({v64 ? "__GFP_HIGH (ALLOC_MIN_RESERVE)" : "__GFP_HIGH (ALLOC_HIGH)",
                          check_watermark(pz, req.order, pz.min, ex.classzone_idx, high, req.algo, 'U')});
    ex.what_if.push_back(
        {v64 ? "GFP_ATOMIC (ALLOC_MIN_RESERVE|ALLOC_NON_BLOCK)" : "GFP_ATOMIC (ALLOC_HIGH|ALLOC_HARDER)",
         check_watermark(pz, req.order, pz.min, ex.classzone_idx, atomic, req.algo, 'U')});
    WmAlgo other = req.algo == WmAlgo::Pre44 ? WmAlgo::Post44 : WmAlgo::Pre44;
    ex.what_if.push_back(
        {std::string("same flags, ") + wm_algo_label(other) + " algorithm",
         check_watermark(pz, req.order, pz.min, ex.classzone_idx, ex.flags, other, req.gfp.migratetype)});

    bool any_ok = false, all_known = true;
    for (const auto& zr : ex.zonelist) {
      any_ok = any_ok || zr.marks.front().second.ok;
      all_known = all_known && !zr.marks.front().second.unknown;
    }
    const WmResult& pr = ex.zonelist.front().marks.front().second;
    std::string zname = "Node " + std::to_string(pz.nid) + " " + pz.name;
    if (any_ok) {
      ex.cause = Cause::NotReproduced;
      std::string which;
      for (const auto& zr : ex.zonelist)
        if (zr.marks.front().second.ok) {
          which = "Node " + std::to_string(zr.zone.nid) + " " + zr.zone.name;
          break;
        }
      if (req.all_marks)
        ex.verdict = "the allocation would succeed now: it passes the min watermark in " + which;
      else
        ex.verdict = "the figures pass the min-watermark check in " + which +
                     ", so they do not show why the allocation failed: the state changed between the "
                     "failure and the printout, or a limit outside these figures applied (cpuset/nodemask, "
                     "__GFP_NORETRY/__GFP_NOWAIT giving up early, a memcg, an RT/OOM-victim context)";
    } else if (pr.unknown) {
      ex.cause = Cause::Inconclusive;
      ex.verdict = "the figures for " + zname + " are incomplete; the check cannot be decided";
    } else {
      ex.cause = cause_of(pr.fail);
      switch (pr.fail) {
        case WmFail::Watermark:
          ex.verdict = "low free memory: " + zname + " had " + std::to_string(pr.free_after) +
                       " usable free pages, at or below the " + std::to_string(pr.required) +
                       " the min watermark requires for this request";
          break;
        case WmFail::Reserve:
          ex.verdict = "reserve: " + zname +
                       " is above its min watermark but inside the lowmem_reserve it keeps "
                       "for " +
                       ex.classzone + " allocations (" + std::to_string(pr.free_after) +
                       " <= " + std::to_string(pr.required) + ")";
          break;
        case WmFail::Highatomic:
          ex.verdict = "reserve: " + zname +
                       " meets the mark only with its highatomic reserve, which this "
                       "request may not use";
          break;
        case WmFail::Cma:
          ex.verdict = "migratetype: " + zname +
                       " meets the mark only by counting free CMA pages, which a "
                       "non-movable request may not use";
          break;
        case WmFail::OrderStep: {
          int at = -1;
          bool block = usable_block(pz, req.order, ex.flags, &at).first;
          ex.verdict = "fragmentation: " + zname + " has " + kb(pz.free) +
                       " free, but the kernel's iterative "
                       "check fails at the order-" +
                       std::to_string(pr.fail_order) + " step (" + std::to_string(pr.free_after) +
                       " pages left <= " + std::to_string(pr.required) + " required)" +
                       (block ? ", although a free block of order " + std::to_string(at) + " exists" : "");
          break;
        }
        case WmFail::NoBlock:
          ex.verdict = "fragmentation: " + zname + " passes the watermark but has no free block of order " +
                       std::to_string(req.order) + " or larger";
          break;
        case WmFail::Migratetype:
          ex.verdict = "migratetype: " + zname + " has free blocks of order >= " + std::to_string(req.order) +
                       " only in pageblocks this request may not use (CMA, highatomic or isolated)";
          break;
        case WmFail::None: break;
      }
      if (ex.zonelist.size() > 1) {
        std::string rest;
        for (size_t i = 1; i < ex.zonelist.size(); i++) {
          const auto& zr = ex.zonelist[i];
          const WmResult& r = zr.marks.front().second;
          rest += (rest.empty() ? "" : ", ") + zr.zone.name + " " +
                  (r.unknown ? std::string("undecided") : std::string(wm_fail_name(r.fail)));
        }
        ex.verdict += "; fallback zones failed too (" + rest + ")";
      }
    }
    if (!all_known) ex.notes.push_back("some zones lack per-order or watermark figures; see the steps");
  }

  // Advice, by cause and by what the request looks like.
  bool atomic_like = !req.gfp.can_sleep;
  switch (ex.cause) {
    case Cause::Fragmentation:
      ex.advice.push_back(
          "free memory is there but split into small blocks: compaction helps (echo 1 > "
          "/proc/sys/vm/compact_memory; kcompactd and proactive compaction via "
          "vm.compaction_proactiveness on 5.9+)");
      ex.advice.push_back(
          "raise vm.min_free_kbytes so kswapd keeps more headroom; on 4.6+ also "
          "vm.watermark_scale_factor");
      if (atomic_like || req.order >= 3)
        ex.advice.push_back(
            "avoid high-order atomic allocations: the caller (driver/slab cache) should fall back to "
            "order-0 pages or kvmalloc(); e.g. smaller MTU or ring sizes for network drivers");
      if (req.algo == WmAlgo::Pre44)
        ex.advice.push_back(
            "kernels 4.4+ (97a16fc82a7c) only require one suitable free block above the order-0 "
            "watermark; this iterative pre-4.4 check is much stricter");
      break;
    case Cause::LowFree:
      ex.advice.push_back(
          "the zone ran out of free pages faster than reclaim refilled it: raise vm.min_free_kbytes "
          "(wakes kswapd earlier and enlarges the reserve atomic allocations may dip into)");
      if (atomic_like)
        ex.advice.push_back(
            "atomic allocations cannot reclaim; bursts (network receive, interrupt handlers) need "
            "that headroom: see vm.watermark_scale_factor (4.6+) and the driver's buffer sizes");
      else
        ex.advice.push_back(
            "a sleeping allocation failing here means reclaim found nothing to free: check for "
            "memory held by unreclaimable slab, pinned or mlocked pages, or too little RAM/swap");
      break;
    case Cause::Reserve:
      ex.advice.push_back(
          "lowmem_reserve (vm.lowmem_reserve_ratio) deliberately keeps lower zones for allocations "
          "that can only use them; the real shortage is in the higher zone");
      break;
    case Cause::Migratetype:
      ex.advice.push_back(
          "free memory sits in CMA/highatomic/isolated pageblocks: shrink the CMA area (cma=) if "
          "unmovable allocations need the memory, or make the allocation movable");
      break;
    case Cause::NotReproduced:
      ex.advice.push_back(
          "capture /proc/zoneinfo and /proc/buddyinfo closer to the failure (kswaptrace traces "
          "the allocation path live) to see the state the allocator saw");
      break;
    case Cause::Inconclusive:
      ex.advice.push_back(
          "paste the whole report including the Mem-Info zone lines, lowmem_reserve[] and the "
          "per-order buddy lines");
      break;
  }
  if (req.xen_guest)
    ex.advice.push_back(
        "Xen guest: memory taken away by the balloon after boot leaves watermarks and kernel buffers "
        "sized for the boot-time size. Give dom0 a fixed size with dom0_mem= on the Xen command line "
        "(e.g. dom0_mem=2048M,max:2048M), and give domUs memory=maxmem or enough headroom instead "
        "of ballooning them down to the limit");
  if (req.comm.rfind("kswapd", 0) == 0) {
    if (req.gfp.nomemalloc)
      ex.notes.push_back(
          "the task is kswapd, but __GFP_NOMEMALLOC keeps its PF_MEMALLOC reserves out of reach: an "
          "allocation kswapd makes itself (e.g. from reclaim) gets the min-watermark check and, "
          "already reclaiming, no direct reclaim of its own");
    else
      ex.notes.push_back(
          "the task is kswapd: its own allocations may use reserves (PF_MEMALLOC), so this one most "
          "likely ran in interrupt context on kswapd's CPU");
  }
  return ex;
}

}  // namespace kst
