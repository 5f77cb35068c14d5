#include "core/alloc_counter.h"

#include <map>
#include <tuple>

namespace kst {
namespace {

using CellKey = std::tuple<int32_t, int32_t, uint8_t, uint8_t, uint8_t>;

CellKey key_of(const AllocCell& c) { return {c.nid, c.zid, c.order, c.migratetype, c.gfp_class}; }

std::string zone_label(int32_t nid, int32_t zid, const std::vector<ZoneInfo>& zones) {
  if (nid < 0 || zid < 0) return "unknown";
  for (const auto& z : zones)
    if (z.nid == nid && z.zid == zid) return "node" + std::to_string(nid) + "/" + z.name;
  return "node" + std::to_string(nid) + "/zid" + std::to_string(zid);
}

void add_row(std::map<std::string, AllocRow>& rows, const std::string& key, uint64_t calls, uint64_t pages) {
  AllocRow& r = rows[key];
  r.key = key;
  r.calls += calls;
  r.pages += pages;
}

std::vector<AllocRow> finish(std::map<std::string, AllocRow>& rows, double seconds) {
  std::vector<AllocRow> out;
  for (auto& [k, r] : rows) {
    r.pages_per_s = seconds > 0 ? r.pages / seconds : 0;
    out.push_back(r);
  }
  return out;
}

}  // namespace

const char* gfp_class_name(uint8_t cls) {
  switch (cls & 3) {
    case 0: return "nowait";          // no direct reclaim: atomic / GFP_NOWAIT
    case 1: return "kernel";          // may direct-reclaim, not movable
    case 2: return "movable-nowait";  // movable, no direct reclaim
    default: return "movable";        // movable, may direct-reclaim (user pages)
  }
}

std::string migratetype_name(const SourceInfo& src, uint8_t mt) {
  static const char* kDefault[] = {"Unmovable", "Movable", "Reclaimable", "HighAtomic"};
  (void)src;
  if (mt < 4) return kDefault[mt];
  return "mt" + std::to_string(mt);
}

AllocSummary summarize_allocs(const AllocCounters& first, const AllocCounters& last, double seconds,
                              const SourceInfo& src, const std::vector<ZoneInfo>& zones) {
  AllocSummary s;
  s.available = true;
  std::map<CellKey, uint64_t> base;
  for (const auto& c : first.cells) base[key_of(c)] += c.calls;
  // orders sort numerically when zero padded
  std::map<std::string, AllocRow> by_order, by_mt, by_zone, by_cls;
  for (const auto& c : last.cells) {
    const uint64_t b = base[key_of(c)];
    if (c.calls <= b) continue;
    const uint64_t calls = c.calls - b;
    const uint64_t pages = calls << c.order;
    s.total_calls += calls;
    s.total_pages += pages;
    char ord[8];
    std::snprintf(ord, sizeof ord, "%02u", c.order);
    add_row(by_order, ord, calls, pages);
    add_row(by_mt, migratetype_name(src, c.migratetype), calls, pages);
    add_row(by_zone, zone_label(c.nid, c.zid, zones), calls, pages);
    add_row(by_cls, gfp_class_name(c.gfp_class), calls, pages);
  }
  s.pages_per_s = seconds > 0 ? s.total_pages / seconds : 0;
  s.by_order = finish(by_order, seconds);
  for (auto& r : s.by_order) r.key = std::to_string(std::stoi(r.key));
  s.by_migratetype = finish(by_mt, seconds);
  s.by_zone = finish(by_zone, seconds);
  s.by_gfp_class = finish(by_cls, seconds);
  return s;
}

}  // namespace kst
