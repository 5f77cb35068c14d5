// Zone state as /proc/zoneinfo and /proc/buddyinfo describe it, and their
// parsers. Parsing is pure (text in, data out) so tests feed captured files
// from any kernel; reading the live files is a source's job.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kst {

struct ZoneInfo {
  int32_t nid = 0;
  int32_t zid = 0;  // position within the node in /proc/zoneinfo = zone index
  std::string name;
  uint64_t free = 0;
  uint64_t boost = 0;
  uint64_t min = 0, low = 0, high = 0;
  uint64_t spanned = 0, present = 0, managed = 0;
  uint64_t start_pfn = 0;
  bool has_start_pfn = false;
  std::vector<uint64_t> protection;       // lowmem_reserve[] against higher zone classes
  bool node_unreclaimable = false;        // per node, repeated on each zone (4.12+)
  std::map<std::string, uint64_t> stats;  // every "nr_*"-style counter line of the zone
  std::vector<uint64_t> free_blocks;      // /proc/buddyinfo: free blocks per order

  bool populated() const { return present > 0; }
  uint64_t stat(const std::string& key, uint64_t dflt = 0) const {
    auto it = stats.find(key);
    return it == stats.end() ? dflt : it->second;
  }
};

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses /proc/zoneinfo of any 2.6.3x-6.x kernel (key/value, never positional).
// Throws ParseError on text that is not zoneinfo.
std::vector<ZoneInfo> parse_zoneinfo(std::string_view text);

// Parses /proc/buddyinfo: node, zone name, free blocks per order.
struct BuddyRow {
  int32_t nid = 0;
  std::string zone;
  std::vector<uint64_t> free_blocks;
};
std::vector<BuddyRow> parse_buddyinfo(std::string_view text);

// Copies buddyinfo rows into the matching zones (by node and name).
void merge_buddyinfo(std::vector<ZoneInfo>& zones, const std::vector<BuddyRow>& rows);

// Finds a zone by node and name.
const ZoneInfo* find_zone(const std::vector<ZoneInfo>& zones, int32_t nid, std::string_view name);

}  // namespace kst
