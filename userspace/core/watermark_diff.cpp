#include "core/watermark_diff.h"

namespace kst {

std::vector<WatermarkChange> diff_watermarks(const std::vector<ZoneInfo>& before,
                                             const std::vector<ZoneInfo>& after) {
  std::vector<WatermarkChange> out;
  for (const auto& a : after) {
    if (!a.populated()) continue;
    const ZoneInfo* b = find_zone(before, a.nid, a.name);
    if (!b) continue;
    WatermarkChange c;
    c.nid = a.nid;
    c.zone = a.name;
    c.managed = a.managed;
    c.min_before = b->min;
    c.low_before = b->low;
    c.high_before = b->high;
    c.min_after = a.min;
    c.low_after = a.low;
    c.high_after = a.high;
    out.push_back(c);
  }
  return out;
}

}  // namespace kst
