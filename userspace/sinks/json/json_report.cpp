#include "sinks/json/json_report.h"

#include <algorithm>

#include "sinks/json/envelope.h"
#include "sinks/text/text_report.h"

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
    buckets.push_back(
        {{"low", Log2Histogram::slot_low(i)}, {"high", Log2Histogram::slot_high(i)}, {"count", h.count(i)}});
  j["buckets"] = buckets;
  return j;
}

json to_json(const ZoneInfo& z) {
  json j = {{"nid", z.nid},
            {"zid", z.zid},
            {"zone", z.name},
            {"free", z.free},
            {"min", z.min},
            {"low", z.low},
            {"high", z.high},
            {"boost", z.boost},
            {"spanned", z.spanned},
            {"present", z.present},
            {"managed", z.managed},
            {"protection", z.protection},
            {"node_unreclaimable", z.node_unreclaimable}};
  if (z.has_start_pfn) j["start_pfn"] = z.start_pfn;
  j["free_blocks"] = z.free_blocks;
  return j;
}

json to_json(const Hazard& h) {
  return {{"kind", h.kind},       {"severity", h.severity}, {"nid", h.nid},          {"zone", h.zone},
          {"message", h.message}, {"advice", h.advice},     {"evidence", h.evidence}};
}

json to_json(const Verdict& v, TimeNs now, const HostIdentity* host) {
  json ev = json::object();
  for (const auto& [k, x] : v.evidence) {
    if (x < 0)
      ev[k] = nullptr;  // the detector's marker for "unknown"
    else
      ev[k] = x;
  }
  json j = {{"kind", v.kind},       {"severity", v.severity},
            {"alert", v.alert},     {"state", v.pending ? "pending" : "active"},
            {"nid", v.nid},         {"since", v.since / 1e9},
            {"message", v.message}, {"evidence", ev},
            {"advice", v.advice}};
  j["raised"] = v.raised ? json(v.raised / 1e9) : json(nullptr);
  if (now) j["for_s"] = now > v.since ? (now - v.since) / 1e9 : 0.0;
  if (host) {
    j["since_time"] = rfc3339_utc(host->wall_ns(v.since));
    j["raised_time"] = v.raised ? json(rfc3339_utc(host->wall_ns(v.raised))) : json(nullptr);
  }
  return j;
}

namespace {

json zone_counters(const ZoneCounters& c) {
  if (!c.exists) return nullptr;
  return {{"present", c.present}, {"managed", c.managed}, {"spanned", c.spanned}, {"start_pfn", c.start_pfn},
          {"min", c.min},         {"low", c.low},         {"high", c.high}};
}

json balloon(const std::optional<BalloonSample>& b) {
  if (!b) return nullptr;
  return {{"target_kb", b->target_kb},
          {"current_kb", b->current_kb},
          {"low_kb", b->low_kb},
          {"high_kb", b->high_kb}};
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
  return buf;
}

}  // namespace

json to_json(const HotAdd& h, TimeNs window_start) {
  json blocks = json::array();
  for (const auto& b : h.blocks)
    blocks.push_back({{"block", b.block},
                      {"actions", b.actions},
                      {"phys_index", b.phys_index},
                      {"state", b.state},
                      {"valid_zones", b.valid_zones}});
  json zones = json::array();
  for (const auto& z : h.zones)
    zones.push_back({{"nid", z.nid},
                     {"zone", z.zone},
                     {"joined", z.joined},
                     {"new_zone", z.new_zone},
                     {"present_delta", z.present_delta()},
                     {"managed_delta", z.managed_delta()},
                     {"before", zone_counters(z.before)},
                     {"after", zone_counters(z.after)}});
  json hz = json::array();
  for (const auto& x : h.hazards) hz.push_back(to_json(x));
  json j = {{"id", h.id},
            {"kind", h.kind},
            {"settled", h.settled},
            {"start_s", h.first_ns > window_start ? (h.first_ns - window_start) / 1e9 : 0.0},
            {"duration_s", (h.last_ns - h.first_ns) / 1e9},
            {"first_ns", h.first_ns},
            {"last_ns", h.last_ns},
            {"blocks", blocks},
            {"block_size", h.block_size},
            {"nid", h.nid},
            {"zone", h.zone},
            {"present_delta", h.present_delta},
            {"managed_delta", h.managed_delta},
            {"pages_onlined", h.pages_onlined},
            {"have_zoneinfo", h.have_zoneinfo},
            {"zones", zones},
            {"balloon", h.balloon_before || h.balloon_after
                            ? json{{"before", balloon(h.balloon_before)}, {"after", balloon(h.balloon_after)}}
                            : json(nullptr)},
            {"sources", h.sources},
            {"wmark_updates", h.wmark_updates},
            {"hazards", hz}};
  if (h.has_range) {
    j["phys_start"] = h.phys_start;
    j["phys_end"] = h.phys_end;
    j["range"] = hex(h.phys_start) + "-" + hex(h.phys_end - 1);
  } else {
    j["phys_start"] = nullptr;
    j["phys_end"] = nullptr;
    j["range"] = nullptr;
  }
  return j;
}

json hotadd_sources_json(const SourceInfo& src, const std::map<std::string, uint64_t>& events) {
  json j = json::object();
  for (const auto& [name, mode] : src.hotadd_sources) {
    const bool missing = mode.rfind("missing", 0) == 0;
    auto it = events.find(name);
    j[name] = {{"active", !missing}, {"mode", mode}, {"events", it == events.end() ? 0 : it->second}};
  }
  for (const auto& [name, n] : events)
    if (!j.contains(name)) j[name] = {{"active", true}, {"mode", "replay"}, {"events", n}};
  return j;
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

// -p, -c, -- CMD: null members are the ones not given
json scope(const TraceScope& sc) {
  json j = {{"pids", sc.pids}, {"cgroup", sc.cgroup.empty() ? json(nullptr) : json(sc.cgroup)}};
  if (!sc.command.empty())
    j["command"] = {{"argv", sc.command},
                    {"pid", sc.command_pid},
                    {"system_wide", sc.whole_system},
                    {"exited", sc.command_exited},
                    {"exit_status", sc.command_exited && !sc.signal ? json(sc.exit_status) : json(nullptr)},
                    {"signal", sc.signal ? json(sc.signal) : json(nullptr)}};
  return j;
}

// every cgroup that reclaimed, worst stall first; cgroup_id 0: unknown
json cgroup_rows(const std::map<std::string, ReclaimCgroupStats>& by) {
  std::vector<std::pair<std::string, ReclaimCgroupStats>> v(by.begin(), by.end());
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.second.total_ns > b.second.total_ns; });
  json a = json::array();
  for (const auto& [path, st] : v)
    a.push_back({{"cgroup", path},
                 {"cgroup_id", st.cgroup_id},
                 {"count", st.count},
                 {"total_ms", st.total_ns / 1e6},
                 {"reclaimed", st.reclaimed}});
  return a;
}

json shrink(const ShrinkStat& s) {
  return {{"calls", s.calls}, {"scanned", s.scanned}, {"reclaimed", s.reclaimed}};
}

}  // namespace

json to_json(const Summary& s, const HostIdentity* host) {
  json j;
  j["version"] = 1;
  j["backend"] = s.source.backend;
  j["attach"] = s.source.attach;
  j["degraded"] = s.source.degraded;
  j["duration_s"] = s.duration_s;
  if (s.scope.limited() || !s.scope.command.empty()) j["scope"] = scope(s.scope);
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
    json node = {{"nid", n.nid},
                 {"kswapd", k},
                 {"wakeup_requests", n.wakeup_requests},
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
                         {"by_cgroup", cgroup_rows(d.direct_by_cgroup)},
                         {"reclaimed", d.reclaimed},
                         {"total_ms", d.total_ns / 1e6},
                         {"latency", to_json(d.latency_us, "usecs")},
                         {"by_order", by_order},
                         {"top_commands", top}};
  j["memcg_reclaim"] = {{"count", d.memcg_count},
                        {"reclaimed", d.memcg_reclaimed},
                        {"total_ms", d.memcg_total_ns / 1e6},
                        {"latency", to_json(d.memcg_latency_us, "usecs")},
                        {"by_cgroup", cgroup_rows(d.memcg_by_cgroup)}};

  const auto& a = s.alloc;
  j["page_alloc"] = {{"available", a.available},
                     {"total_calls", a.total_calls},
                     {"total_pages", a.total_pages},
                     {"pages_per_s", a.pages_per_s},
                     {"by_order", rows(a.by_order, "order")},
                     {"by_migratetype", rows(a.by_migratetype, "migratetype")},
                     {"by_zone", rows(a.by_zone, "zone")},
                     {"by_gfp_class", rows(a.by_gfp_class, "gfp_class")}};
  if (a.bulk_applies)
    j["page_alloc"]["bulk_allocator"] = {{"counted", a.bulk_counted},
                                         {"pgalloc_minus_traced", a.pgalloc_minus_traced}};
  if (s.have_vmstat) j["vmstat_delta"] = s.vmstat_delta;
  json zones = json::array();
  for (const auto& z : s.zones) zones.push_back(to_json(z));
  j["zones"] = zones;
  j["min_free_kbytes"] = s.min_free_kbytes;
  json hz = json::array();
  for (const auto& h : s.hazards) hz.push_back(to_json(h));
  j["hazards"] = hz;
  json settling = json::array();
  for (const auto& z : s.settling)
    settling.push_back({{"nid", z.nid},
                        {"zone", z.zone},
                        {"present", z.present},
                        {"managed", z.managed},
                        {"changed_s", z.changed_ns > s.start ? (z.changed_ns - s.start) / 1e9 : 0.0}});
  j["zones_settling"] = settling;
  j["settle_delay_s"] = s.settle_delay_s;
  json ha = json::array();
  for (const auto& h : s.hotadd) ha.push_back(to_json(h, s.start));
  j["hotadd"] = ha;
  j["hotadd_sources"] = hotadd_sources_json(s.source, s.hotadd_events);
  if (s.have_verdicts) {
    json vs = json::array();
    for (const auto& v : s.verdicts) vs.push_back(to_json(v, s.end, host));
    j["verdicts"] = vs;
  }
  if (!s.recorded_verdicts.empty()) {
    json rv = json::array();
    for (const auto& [ts, c] : s.recorded_verdicts) {
      json v = to_json(c.verdict, ts, host);
      if (host) v["time"] = rfc3339_utc(host->wall_ns(ts));
      v["change"] = c.raised ? "raised" : "cleared";
      v["state"] = c.raised ? "active" : "cleared";
      v["t"] = (static_cast<double>(ts) - static_cast<double>(s.start)) / 1e9;
      rv.push_back(v);
    }
    j["recorded_verdicts"] = rv;
  }
  return j;
}

nlohmann::json summary_json(const Summary& s, const std::string& command, const HostIdentity& host) {
  json j = to_json(s, &host);
  add_envelope(j, command, host, s.start, s.end);
  return j;
}

nlohmann::json runs_json(const std::vector<rec::RecordingRun>& runs) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const bool last = i + 1 == runs.size();
    nlohmann::json j = {{"run", r.run},
                        {"start", local_time_ns(r.start_realtime_ns)},
                        {"start_realtime_ns", r.start_realtime_ns},
                        {"start_monotonic_ns", r.start_mono_ns},
                        {"start_evicted", !r.start_seen},
                        {"boot_id", r.boot_id},
                        {"new_boot", r.new_boot},
                        {"kernel_release", r.kernel_release},
                        {"end", local_time_ns(r.end_realtime_ns)},
                        {"end_realtime_ns", r.end_realtime_ns},
                        {"end_monotonic_ns", r.end_mono_ns},
                        {"duration_s", (r.end_mono_ns - r.start_mono_ns) / 1e9},
                        {"ended_by", run_end(r, last, true)},
                        {"ended_by_text", run_end(r, last)},
                        {"segments", r.segments},
                        {"events", r.events}};
    j["scope"] = r.scope.limited() ? scope(r.scope) : nlohmann::json(nullptr);
    j["previous_ended_by"] = i ? nlohmann::json(run_end(runs[i - 1], false, true)) : nlohmann::json(nullptr);
    a.push_back(std::move(j));
  }
  return a;
}

}  // namespace kst
