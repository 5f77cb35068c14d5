#include "core/zones.h"

#include <charconv>
#include <sstream>

namespace kst {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> to_u64(std::string_view s) {
  s = trim(s);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// "Node 0, zone   Normal" -> (0, "Normal")
bool parse_zone_header(std::string_view line, int32_t& nid, std::string& name) {
  line = trim(line);
  if (line.rfind("Node ", 0) != 0) return false;
  size_t comma = line.find(',');
  if (comma == std::string_view::npos) return false;
  auto n = to_u64(line.substr(5, comma - 5));
  if (!n) return false;
  std::string_view rest = trim(line.substr(comma + 1));
  if (rest.rfind("zone", 0) != 0) return false;
  rest = trim(rest.substr(4));
  if (rest.empty() || rest.find(' ') != std::string_view::npos) return false;
  nid = static_cast<int32_t>(*n);
  name = std::string(rest);
  return true;
}

}  // namespace

std::vector<ZoneInfo> parse_zoneinfo(std::string_view text) {
  std::vector<ZoneInfo> zones;
  std::map<int32_t, int32_t> next_zid;
  bool in_pagesets = false;
  for (std::string_view raw : split_lines(text)) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    int32_t nid;
    std::string name;
    if (parse_zone_header(line, nid, name)) {
      ZoneInfo z;
      z.nid = nid;
      z.name = name;
      z.zid = next_zid[nid]++;
      zones.push_back(std::move(z));
      in_pagesets = false;
      continue;
    }
    if (zones.empty()) throw ParseError("zoneinfo: text before the first 'Node N, zone NAME' line");
    ZoneInfo& z = zones.back();
    if (line == "per-node stats") continue;
    if (line == "pagesets") {
      in_pagesets = true;  // per-CPU lists follow: not zone state
      continue;
    }
    if (line.rfind("protection:", 0) == 0) {
      // "protection: (0, 3018, 4810, 4810)"
      std::string_view list = line.substr(11);
      size_t open = list.find('('), close = list.find(')');
      if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        throw ParseError("zoneinfo: malformed protection line: " + std::string(line));
      std::string_view inner = list.substr(open + 1, close - open - 1);
      z.protection.clear();
      size_t p = 0;
      while (p <= inner.size()) {
        size_t c = inner.find(',', p);
        if (c == std::string_view::npos) c = inner.size();
        auto v = to_u64(inner.substr(p, c - p));
        if (!v) throw ParseError("zoneinfo: bad protection value in: " + std::string(line));
        z.protection.push_back(*v);
        p = c + 1;
      }
      continue;
    }
    // "key value", "key: value", or "pages free N"
    std::string_view key, val;
    if (line.rfind("pages free", 0) == 0) {
      key = "free";
      val = line.substr(10);
    } else {
      size_t sp = line.find_first_of(" \t:");
      if (sp == std::string_view::npos) continue;
      key = line.substr(0, sp);
      val = line.substr(sp);
      val = trim(val);
      if (!val.empty() && val.front() == ':') val = trim(val.substr(1));
    }
    if (in_pagesets) {
      // per-CPU pageset lines (cpu:, count:, high:, batch:, vm stats threshold)
      // end where the zone-level trailer starts.
      if (key == "node_unreclaimable" || key == "start_pfn")
        in_pagesets = false;
      else
        continue;
    }
    auto v = to_u64(val);
    if (!v) continue;  // lines like "all_unreclaimable: yes" on old kernels
    if (key == "free")
      z.free = *v;
    else if (key == "boost")
      z.boost = *v;
    else if (key == "min")
      z.min = *v;
    else if (key == "low")
      z.low = *v;
    else if (key == "high")
      z.high = *v;
    else if (key == "spanned")
      z.spanned = *v;
    else if (key == "present")
      z.present = *v;
    else if (key == "managed")
      z.managed = *v;
    else if (key == "start_pfn") {
      z.start_pfn = *v;
      z.has_start_pfn = true;
    } else if (key == "node_unreclaimable") {
      z.node_unreclaimable = *v != 0;
    } else {
      z.stats[std::string(key)] = *v;
    }
  }
  if (zones.empty()) throw ParseError("zoneinfo: no 'Node N, zone NAME' lines found");
  // node_unreclaimable is printed once per zone but is a node property;
  // empty zones on some kernels omit it: spread the value across the node.
  std::map<int32_t, bool> unrec;
  for (const auto& z : zones) unrec[z.nid] = unrec[z.nid] || z.node_unreclaimable;
  for (auto& z : zones) z.node_unreclaimable = unrec[z.nid];
  return zones;
}

std::vector<BuddyRow> parse_buddyinfo(std::string_view text) {
  std::vector<BuddyRow> rows;
  for (std::string_view raw : split_lines(text)) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    // "Node 0, zone   Normal   1511   1594 ..."
    if (line.rfind("Node ", 0) != 0) throw ParseError("buddyinfo: unexpected line: " + std::string(line));
    size_t comma = line.find(',');
    if (comma == std::string_view::npos) throw ParseError("buddyinfo: no comma in: " + std::string(line));
    auto nid = to_u64(line.substr(5, comma - 5));
    if (!nid) throw ParseError("buddyinfo: bad node in: " + std::string(line));
    std::string_view rest = trim(line.substr(comma + 1));
    if (rest.rfind("zone", 0) != 0) throw ParseError("buddyinfo: no zone in: " + std::string(line));
    std::istringstream in{std::string(rest.substr(4))};
    BuddyRow row;
    row.nid = static_cast<int32_t>(*nid);
    if (!(in >> row.zone)) throw ParseError("buddyinfo: no zone name in: " + std::string(line));
    std::string tok;
    while (in >> tok) {
      auto v = to_u64(tok);
      if (!v) throw ParseError("buddyinfo: bad count '" + tok + "' in: " + std::string(line));
      row.free_blocks.push_back(*v);
    }
    if (row.free_blocks.empty()) throw ParseError("buddyinfo: no counts in: " + std::string(line));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw ParseError("buddyinfo: empty");
  return rows;
}

void merge_buddyinfo(std::vector<ZoneInfo>& zones, const std::vector<BuddyRow>& rows) {
  for (const auto& r : rows)
    for (auto& z : zones)
      if (z.nid == r.nid && z.name == r.zone) z.free_blocks = r.free_blocks;
}

const ZoneInfo* find_zone(const std::vector<ZoneInfo>& zones, int32_t nid, std::string_view name) {
  for (const auto& z : zones)
    if (z.nid == nid && z.name == name) return &z;
  return nullptr;
}

}  // namespace kst
