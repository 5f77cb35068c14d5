#include "sinks/text/watch_render.h"

#include <cstdarg>
#include <cstdio>

#include "sinks/json/json_report.h"
#include "sinks/text/appendf.h"
#include "sinks/text/text_report.h"

namespace kst {
namespace {

using nlohmann::json;

std::string pct_or_dash(double x) {
  if (x < 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * x);
  return buf;
}

json unknown_as_null(double x) { return x < 0 ? json(nullptr) : json(x); }

}  // namespace

std::string render_status_line(const NodeStatus& st, const std::vector<Verdict>& active,
                               const std::string& label) {
  std::string s;
  appendf(s, "%s node%d ", label.c_str(), st.nid);
  if (st.window_s == 0) {
    appendf(s, "kswapd -- collecting the first window --");
  } else {
    if (st.awake)
      appendf(s, "kswapd AWAKE %5.0fs", st.awake_s);
    else
      appendf(s, "kswapd asleep      ");
    appendf(
        s,
        " duty %3.0f%% cpu %4s passes %5.0f/s scan %7.0f/s reclaim %7.0f/s eff %4s per-pass %6.1f quick %4s",
        100 * st.duty, pct_or_dash(st.cpu).c_str(), st.runs_per_s, st.scanned_per_s, st.reclaimed_per_s,
        pct_or_dash(st.eff).c_str(), st.steal_per_run, pct_or_dash(st.quick).c_str());
    appendf(s, " stall %4.0f/s", st.allocstall_per_s);
    if (st.high_order_req_per_s > 0) appendf(s, " o%d-req %4.0f/s", st.top_order, st.high_order_req_per_s);
    if (st.direct_per_s > 0) appendf(s, " direct %.0f/s", st.direct_per_s);
    if (st.memcg_per_s > 0) appendf(s, " memcg %.0f/s", st.memcg_per_s);
  }
  if (st.have_zones)
    appendf(s, " free %llu%shigh %llu%s", (unsigned long long)st.free,
            st.free > st.high ? ">" : "<=", (unsigned long long)st.high,
            st.unreclaimable ? " UNRECLAIMABLE" : "");
  std::string kinds;
  for (const auto& v : active)
    if (v.nid == st.nid) kinds += (kinds.empty() ? "" : ",") + v.kind;
  appendf(s, " | %s\n", kinds.empty() ? "ok" : kinds.c_str());
  return s;
}

namespace {
// "05:25:01 UTC, " or "" when the offset is unknown
std::string wall_of(TimeNs mono, int64_t realtime_offset_ns) {
  if (!realtime_offset_ns) return "";
  return hms_utc(static_cast<int64_t>(mono) + realtime_offset_ns) + " UTC, ";
}
}  // namespace

std::string render_verdict_raised(const Verdict& v, const NodeStatus* st, const std::vector<ZoneInfo>& zones,
                                  const std::string& label, int64_t realtime_offset_ns) {
  std::string s;
  appendf(s, "\n=== %s  %s on node %d [%s]%s ===\n", label.c_str(), v.kind.c_str(), v.nid, v.severity.c_str(),
          v.alert ? "" : " (not an alert)");
  appendf(s, "  since %st=%.1f s (CLOCK_MONOTONIC, as in dmesg), %.0f s before this report\n",
          wall_of(v.since, realtime_offset_ns).c_str(), v.since / 1e9,
          v.raised > v.since ? (v.raised - v.since) / 1e9 : 0.0);
  s += "  " + v.message + "\n";
  s += "  numbers:" + render_evidence(v.evidence) + "\n";
  if (st && st->quick >= 0)
    appendf(s, "  kswapd_high_wmark_hit_quickly: %.0f%% of %.1f passes/s\n", 100 * st->quick, st->runs_per_s);
  std::vector<ZoneInfo> mine;
  for (const auto& z : zones)
    if (z.nid == v.nid) mine.push_back(z);
  if (!mine.empty() && v.alert) {
    appendf(s, "  zones of node %d (pages):\n", v.nid);
    s += render_zone_table(mine);
  }
  s += "  what to check: " + v.advice + "\n";
  return s;
}

std::string render_verdict_cleared(const Verdict& v, TimeNs now, const std::string& label,
                                   int64_t realtime_offset_ns) {
  std::string s;
  appendf(s, "=== %s  %s on node %d cleared (held from %st=%.1f s, %.0f s in all) ===\n", label.c_str(),
          v.kind.c_str(), v.nid, wall_of(v.since, realtime_offset_ns).c_str(), v.since / 1e9,
          now > v.since ? (now - v.since) / 1e9 : 0.0);
  return s;
}

json status_json(const NodeStatus& st, const std::vector<Verdict>& active, TimeNs now) {
  json kinds = json::array();
  for (const auto& v : active)
    if (v.nid == st.nid) kinds.push_back(v.kind);
  json j = {{"type", "status"},
            {"t", now / 1e9},
            {"nid", st.nid},
            {"window_s", st.window_s},
            {"kswapd_events_seen", st.tracepoints},
            {"awake", st.awake},
            {"awake_s", st.awake_s},
            {"duty_cycle", st.duty},
            {"cpu_pct", st.cpu < 0 ? json(nullptr) : json(100 * st.cpu)},
            {"balance_passes_per_s", st.runs_per_s},
            {"wakes", st.wakes},
            {"sleeps", st.sleeps},
            {"scanned_per_s", st.scanned_per_s},
            {"reclaimed_per_s", st.reclaimed_per_s},
            {"efficiency", unknown_as_null(st.eff)},
            {"reclaimed_per_pass", st.steal_per_run},
            {"quick_ratio", unknown_as_null(st.quick)},
            {"slab_per_lru", unknown_as_null(st.slab_per_lru)},
            {"allocstall_per_s", st.allocstall_per_s},
            {"direct_per_s", st.direct_per_s},
            {"memcg_per_s", st.memcg_per_s},
            {"refault_per_s", st.refault_per_s},
            {"high_order_requests_per_s", st.high_order_req_per_s},
            {"vmstat_is_node", st.vmstat_is_node},
            {"verdicts", kinds}};
  if (st.have_zones)
    j["zones"] = {{"free", st.free},
                  {"high", st.high},
                  {"boost", st.boost},
                  {"managed", st.managed},
                  {"node_unreclaimable", st.unreclaimable},
                  {"unreclaimable_toggles", st.toggles}};
  return j;
}

json verdict_change_json(const Verdict& v, bool raised, TimeNs now, const HostIdentity* host) {
  json j = {{"type", "verdict"}, {"change", raised ? "raised" : "cleared"}, {"t", now / 1e9}};
  j.update(to_json(v, now, host));
  return j;
}

}  // namespace kst
