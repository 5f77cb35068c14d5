// Zone hazards: static shapes of /proc/zoneinfo that predict reclaim trouble.
// Rules and their rationale are documented in docs/detection.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/zones.h"

namespace kst {

struct Hazard {
  std::string kind;      // "tiny-zone", "zero-watermark", "small-normal", "hopeless-node"
  std::string severity;  // "critical", "warning", "notice"
  int32_t nid = 0;
  std::string zone;
  std::string message;  // one line, plain language, with the numbers
  std::string advice;   // what to check or do
  std::map<std::string, uint64_t> evidence;
};

// The pages of min watermark __setup_per_zone_wmarks() gives a zone:
// min_free_kbytes spread over lowmem zones in proportion to managed pages.
uint64_t expected_min_pages(const ZoneInfo& zone, const std::vector<ZoneInfo>& all, int64_t min_free_kbytes,
                            uint32_t page_size);

std::vector<Hazard> zone_hazards(const std::vector<ZoneInfo>& zones, int64_t min_free_kbytes,
                                 uint32_t page_size = 4096);

}  // namespace kst
