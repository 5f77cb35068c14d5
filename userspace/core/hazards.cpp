#include "core/hazards.h"

#include <algorithm>
#include <sstream>

namespace kst {
namespace {

uint64_t node_managed(const std::vector<ZoneInfo>& zones, int32_t nid) {
  uint64_t sum = 0;
  for (const auto& z : zones)
    if (z.nid == nid) sum += z.managed;
  return sum;
}

bool is_highmem(const ZoneInfo& z) { return z.name == "HighMem"; }

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

}  // namespace

uint64_t expected_min_pages(const ZoneInfo& zone, const std::vector<ZoneInfo>& all, int64_t min_free_kbytes,
                            uint32_t page_size) {
  if (min_free_kbytes <= 0 || is_highmem(zone)) return 0;
  uint64_t lowmem = 0;
  for (const auto& z : all)
    if (!is_highmem(z)) lowmem += z.managed;
  if (lowmem == 0) return 0;
  uint64_t pages_min = static_cast<uint64_t>(min_free_kbytes) / (page_size / 1024);
  return static_cast<uint64_t>((static_cast<unsigned __int128>(pages_min) * zone.managed) / lowmem);
}

std::vector<Hazard> zone_hazards(const std::vector<ZoneInfo>& zones, int64_t min_free_kbytes,
                                 uint32_t page_size) {
  std::vector<Hazard> out;
  std::map<int32_t, bool> hopeless_reported;
  for (const auto& z : zones) {
    if (!z.populated()) continue;
    const uint64_t node = node_managed(zones, z.nid);
    // Seed 000 / LP#1518457: a hot-added zone whose pages are still in the
    // balloon: present 32768, managed 9. Before 4.8 kswapd balanced every
    // zone and could never balance this one.
    const uint64_t tiny_limit = std::max<uint64_t>(1024, node / 200);
    if (z.managed < tiny_limit && z.present >= 16 * std::max<uint64_t>(z.managed, 1)) {
      Hazard h;
      h.kind = "tiny-zone";
      h.severity = "critical";
      h.nid = z.nid;
      h.zone = z.name;
      h.message =
          fmt("Node %d %s holds %llu managed of %llu present pages (%.2f%%), watermarks %llu/%llu/%llu: "
              "the shape of the Xen balloon hot-add bug (LP#1518457) where kswapd spun at 100%% CPU",
              z.nid, z.name.c_str(), (unsigned long long)z.managed, (unsigned long long)z.present,
              z.present ? 100.0 * z.managed / z.present : 0.0, (unsigned long long)z.min,
              (unsigned long long)z.low, (unsigned long long)z.high);
      h.advice =
          "kernels before 4.8 balance per zone and can livelock here; online hot-added memory as movable "
          "or size dom0_mem/maxmem so the balloon does not hot-add a sliver (see docs/detection.md)";
      h.evidence = {{"managed", z.managed}, {"present", z.present}, {"min", z.min}, {"free", z.free}};
      out.push_back(std::move(h));
    }
    const uint64_t expect = expected_min_pages(z, zones, min_free_kbytes, page_size);
    if (z.managed > 0 && (z.min == 0 || (expect >= 16 && z.min * 4 < expect))) {
      Hazard h;
      h.kind = "zero-watermark";
      h.severity = z.min == 0 ? "critical" : "warning";
      h.nid = z.nid;
      h.zone = z.name;
      if (z.min == 0)
        h.message = fmt(
            "Node %d %s has %llu managed pages but min/low/high = %llu/%llu/%llu: no reserve, kswapd is not "
            "woken for this zone until it is empty and atomic allocations can drain it",
            z.nid, z.name.c_str(), (unsigned long long)z.managed, (unsigned long long)z.min,
            (unsigned long long)z.low, (unsigned long long)z.high);
      else
        h.message =
            fmt("Node %d %s min watermark is %llu pages, far below the %llu that min_free_kbytes implies for "
                "%llu managed pages: watermarks were computed while the zone was nearly empty",
                z.nid, z.name.c_str(), (unsigned long long)z.min, (unsigned long long)expect,
                (unsigned long long)z.managed);
      h.advice =
          "make the kernel recompute watermarks: `kswaptrace fix-watermarks --apply` (rewrites the current "
          "vm.watermark_scale_factor value)";
      h.evidence = {{"managed", z.managed}, {"present", z.present}, {"min", z.min},
                    {"low", z.low},         {"high", z.high},       {"expected_min", expect}};
      out.push_back(std::move(h));
    }
    if (z.name == "Normal" && z.managed > 0) {
      const ZoneInfo* dma32 = find_zone(zones, z.nid, "DMA32");
      if (dma32 && z.managed * 2 < dma32->managed) {
        Hazard h;
        h.kind = "small-normal";
        h.severity = "notice";
        h.nid = z.nid;
        h.zone = z.name;
        h.message = fmt(
            "Node %d Normal (%llu managed pages) is small beside DMA32 (%llu): most allocations try Normal "
            "first, so it runs low first; typical after memory hot-add or ballooning",
            z.nid, (unsigned long long)z.managed, (unsigned long long)dma32->managed);
        h.advice = "harmless on 4.8+ (node-based balancing) unless its watermarks are also wrong";
        h.evidence = {{"managed", z.managed}, {"dma32_managed", dma32->managed}};
        out.push_back(std::move(h));
      }
    }
    if (z.node_unreclaimable && !hopeless_reported[z.nid]) {
      hopeless_reported[z.nid] = true;
      Hazard h;
      h.kind = "hopeless-node";
      h.severity = "warning";
      h.nid = z.nid;
      h.zone = "";
      h.message =
          fmt("Node %d is marked node_unreclaimable: kswapd failed 16 passes in a row and is no longer woken "
              "until some reclaim succeeds",
              z.nid);
      h.advice =
          "memory is essentially all unreclaimable (no swap, mlock, tmpfs); expect direct reclaim and OOM";
      out.push_back(std::move(h));
    }
  }
  return out;
}

}  // namespace kst
