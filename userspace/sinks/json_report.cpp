#include "sinks/json_report.h"

#include <algorithm>

namespace kst {

using nlohmann::json;

json to_json(const Log2Histogram& h, const char* unit) {
  json j;
  j["unit"] = unit;
  j["count"] = h.total();
  j["sum"] = h.sum();
  j["max"] = h.max();
  json buckets = json::array();
  for (int i = 0; i <= h.last_slot(); i++)
    buckets.push_back({{"low", Log2Histogram::slot_low(i)},
                       {"high", Log2Histogram::slot_high(i)},
                       {"count", h.count(i)}});
  j["buckets"] = buckets;
  return j;
}

json to_json(const ZoneInfo& z) {
  json j = {{"nid", z.nid},         {"zid", z.zid},         {"zone", z.name},
            {"free", z.free},       {"min", z.min},         {"low", z.low},
            {"high", z.high},       {"boost", z.boost},     {"spanned", z.spanned},
            {"present", z.present}, {"managed", z.managed}, {"protection", z.protection},
            {"node_unreclaimable", z.node_unreclaimable}};
  if (z.has_start_pfn) j["start_pfn"] = z.start_pfn;
  j["free_blocks"] = z.free_blocks;
  return j;
}

json to_json(const Hazard& h) {
  return {{"kind", h.kind},       {"severity", h.severity}, {"nid", h.nid},
          {"zone", h.zone},       {"message", h.message},   {"advice", h.advice},
          {"evidence", h.evidence}};
}

namespace {

json rows(const std::vector<AllocRow>& v, const char* key) {
  json a = json::array();
  for (const auto& r : v) {
    json row = {{key, r.key}, {"calls", r.calls}, {"pages", r.pages}, {"pages_per_s", r.pages_per_s}};
    if (std::string(key) == "order") row[key] = std::stoi(r.key);
    a.push_back(row);
  }
  return a;
}

json shrink(const ShrinkStat& s) {
  return {{"calls", s.calls}, {"scanned", s.scanned}, {"reclaimed", s.reclaimed}};
}

}  // namespace

json to_json(const Summary& s) {
  json j;
  j["version"] = 1;
  j["kernel"] = s.source.kernel_release;
  j["backend"] = s.source.backend;
  j["attach"] = s.source.attach;
  j["degraded"] = s.source.degraded;
  j["duration_s"] = s.duration_s;
  j["lost_events"] = s.lost_events;
  j["reclaim_unpaired"] = s.reclaim_unpaired;

  json nodes = json::array();
  for (const auto& n : s.nodes) {
    json k = {{"wakes", n.wakes},
              {"sleeps", n.sleeps},
              {"rewakes", n.rewakes},
              {"episodes", n.episodes},
              {"awake_s", n.awake_s},
              {"duty_cycle", n.duty_cycle},
              {"awake_at_end", n.awake_at_end},
              {"open_episode_s", n.open_episode_s},
              {"longest_episode_s", n.longest_episode_s},
              {"episode_length", to_json(n.episode_us, "usecs")}};
    if (n.have_shrink) {
      k["scanned"] = n.kswapd_shrink.scanned;
      k["reclaimed"] = n.kswapd_shrink.reclaimed;
      k["efficiency"] = n.efficiency;
    }
    if (n.have_cpu) {
      k["cpu_s"] = n.cpu_s;
      k["cpu_pct"] = n.cpu_pct;
    }
    json req = json::array();
    for (const auto& r : n.requests)
      req.push_back({{"zid", r.zid}, {"zone", r.zone}, {"order", r.order}, {"count", r.count}});
    json node = {{"nid", n.nid}, {"kswapd", k}, {"wakeup_requests", n.wakeup_requests},
                 {"wakeup_requests_by_zone_order", req}};
    if (n.have_shrink) node["other_reclaim"] = shrink(n.other_shrink);
    nodes.push_back(node);
  }
  j["nodes"] = nodes;

  const auto& d = s.direct;
  json by_order = json::array();
  for (const auto& [order, h] : d.latency_us_by_order)
    by_order.push_back({{"order", order}, {"latency", to_json(h, "usecs")}});
  std::vector<std::pair<std::string, ReclaimCommStats>> comms(d.by_comm.begin(), d.by_comm.end());
  std::sort(comms.begin(), comms.end(),
            [](const auto& a, const auto& b) { return a.second.total_ns > b.second.total_ns; });
  json top = json::array();
  for (size_t i = 0; i < comms.size() && i < 10; i++)
    top.push_back({{"comm", comms[i].first},
                   {"count", comms[i].second.count},
                   {"total_ms", comms[i].second.total_ns / 1e6},
                   {"reclaimed", comms[i].second.reclaimed}});
  j["direct_reclaim"] = {{"count", d.count},
                         {"reclaimed_pages", d.reclaimed},
                         {"total_ms", d.total_ns / 1e6},
                         {"latency", to_json(d.latency_us, "usecs")},
                         {"by_order", by_order},
                         {"top_commands", top}};
  j["memcg_reclaim"] = {{"count", d.memcg_count},
                        {"reclaimed_pages", d.memcg_reclaimed},
                        {"total_ms", d.memcg_total_ns / 1e6},
                        {"latency", to_json(d.memcg_latency_us, "usecs")}};

  const auto& a = s.alloc;
  j["page_alloc"] = {{"available", a.available},
                     {"total_calls", a.total_calls},
                     {"total_pages", a.total_pages},
                     {"pages_per_s", a.pages_per_s},
                     {"by_order", rows(a.by_order, "order")},
                     {"by_migratetype", rows(a.by_migratetype, "migratetype")},
                     {"by_zone", rows(a.by_zone, "zone")},
                     {"by_gfp_class", rows(a.by_gfp_class, "gfp_class")}};
  if (s.have_vmstat) j["vmstat_delta"] = s.vmstat_delta;
  json zones = json::array();
  for (const auto& z : s.zones) zones.push_back(to_json(z));
  j["zones"] = zones;
  j["min_free_kbytes"] = s.min_free_kbytes;
  json hz = json::array();
  for (const auto& h : s.hazards) hz.push_back(to_json(h));
  j["hazards"] = hz;
  return j;
}

}  // namespace kst
