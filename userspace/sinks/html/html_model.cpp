#include "sinks/html/html_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace kst {

using nlohmann::json;

namespace {

// j at a dotted path ("a.0.b"); nullptr when any step is missing.
const json* at_path(const json& root, const std::string& path) {
  const json* j = &root;
  std::stringstream ss(path);
  std::string step;
  while (std::getline(ss, step, '.')) {
    if (j->is_object()) {
      auto it = j->find(step);
      if (it == j->end()) return nullptr;
      j = &*it;
    } else if (j->is_array() && !step.empty() && std::all_of(step.begin(), step.end(), ::isdigit)) {
      const size_t i = std::stoul(step);
      if (i >= j->size()) return nullptr;
      j = &(*j)[i];
    } else {
      return nullptr;
    }
  }
  return j;
}

// The first of `paths` that holds a number.
Num num(const json& root, std::initializer_list<std::string> paths) {
  for (const auto& p : paths)
    if (const json* j = at_path(root, p); j && j->is_number()) return Num{j->get<double>(), p};
  return {};
}

std::string str(const json& root, std::initializer_list<std::string> paths, const std::string& def = "") {
  for (const auto& p : paths) {
    const json* j = at_path(root, p);
    if (!j) continue;
    if (j->is_string()) return j->get<std::string>();
    if (j->is_number()) return j->dump();
  }
  return def;
}

double dbl(const json& j, const char* key, double def = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : def;
}
int integer(const json& j, const char* key, int def = 0) { return static_cast<int>(dbl(j, key, def)); }
std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : (it->is_null() ? "" : it->dump());
}
bool flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// Each element of the array at `path` (objects only), with its own path prefix.
template <class F>
void each(const json& root, const std::string& path, F f) {
  const json* a = at_path(root, path);
  if (!a || !a->is_array()) return;
  for (size_t i = 0; i < a->size(); i++)
    if ((*a)[i].is_object()) f((*a)[i], path + "." + std::to_string(i) + ".");
}

std::vector<std::string> strings(const json& root, const std::string& path) {
  std::vector<std::string> v;
  if (const json* a = at_path(root, path); a && a->is_array())
    for (const auto& x : *a)
      if (x.is_string()) v.push_back(x.get<std::string>());
  return v;
}

PageModel::Reclaim reclaim(const json& r, const std::string& p) {
  PageModel::Reclaim out;
  out.count = num(r, {p + "count"});
  out.reclaimed_pages = num(r, {p + "reclaimed_pages", p + "reclaimed"});
  out.total_ms = num(r, {p + "total_ms"});
  out.max_us = num(r, {p + "latency.max"});
  each(r, p + "latency.buckets", [&](const json& b, const std::string&) {
    out.buckets.push_back({dbl(b, "low"), dbl(b, "high"), static_cast<uint64_t>(dbl(b, "count"))});
  });
  return out;
}

PageModel::Hazard hazard(const json& h) {
  return {text(h, "kind"),    text(h, "severity"), text(h, "zone"),
          text(h, "message"), text(h, "advice"),   integer(h, "nid")};
}

// Evidence for a person: floats to at most 4 significant digits (14.85, not
// the 14.850000000000001 the JSON carries); the exact values stay in the
// embedded JSON.
std::string evidence_value(const json& x) {
  if (x.is_null()) return "unknown";
  if (x.is_string()) return x.get<std::string>();
  if (x.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", x.get<double>());
    return buf;
  }
  return x.dump();
}

PageModel::Verdict verdict(const json& v, double t) {
  PageModel::Verdict out{text(v, "kind"),
                         text(v, "severity"),
                         text(v, "state"),
                         text(v, "message"),
                         text(v, "advice"),
                         integer(v, "nid"),
                         t,
                         {}};
  if (auto ev = v.find("evidence"); ev != v.end() && ev->is_object())
    for (const auto& [k, x] : ev->items()) out.evidence.emplace_back(k, evidence_value(x));
  return out;
}

void header(PageModel& m, const json& r, const PageContext& c) {
  m.host = str(r, {"host", "hostname", "recording.hostname"}, c.host);
  m.kernel = str(r, {"kernel", "kernel_release", "recording.kernel_release"});
  m.recording_id = str(r, {"recording_id", "recording.id", "recording.recording_id"}, c.recording_id);
  m.window_from = str(r, {"window.from", "wall_start", "start_time", "window.start"}, c.window_from);
  m.window_to = str(r, {"window.to", "wall_end", "end_time", "window.end"}, c.window_to);
  m.backend = str(r, {"backend"});
  m.tool_version = c.tool_version;
  m.duration_s = num(r, {"duration_s", "window.duration_s"});
  m.lost_events = num(r, {"lost_events"});
  m.reclaim_unpaired = num(r, {"reclaim_unpaired"});
  if (const json* d = at_path(r, "damage"); d && d->is_object()) m.damaged = flag(*d, "damaged");
  m.bad_blocks = num(r, {"damage.bad_blocks"});
  m.torn_blocks = num(r, {"damage.torn_blocks"});
  m.skipped_bytes = num(r, {"damage.skipped_bytes"});
  m.damage_warnings = strings(r, "damage.warnings");
  m.degraded = strings(r, "degraded");
}

void kswapd(PageModel& m, const json& r) {
  each(r, "nodes", [&](const json& n, const std::string& p) {
    PageModel::Node o;
    o.nid = integer(n, "nid");
    o.wakes = num(r, {p + "kswapd.wakes"});
    o.episodes = num(r, {p + "kswapd.episodes"});
    o.awake_s = num(r, {p + "kswapd.awake_s"});
    o.duty_cycle = num(r, {p + "kswapd.duty_cycle"});
    o.longest_episode_s = num(r, {p + "kswapd.longest_episode_s"});
    o.wakeup_requests = num(r, {p + "wakeup_requests"});
    o.cpu_pct = num(r, {p + "kswapd.cpu_pct"});
    m.nodes.push_back(o);
  });
}

void reclaim_and_alloc(PageModel& m, const json& r) {
  m.direct = reclaim(r, "direct_reclaim.");
  m.memcg = reclaim(r, "memcg_reclaim.");
  each(r, "direct_reclaim.top_commands", [&](const json& c, const std::string& p) {
    m.top_commands.push_back(
        {text(c, "comm"), num(r, {p + "count"}), num(r, {p + "total_ms"}), num(r, {p + "reclaimed"})});
  });
  if (const json* a = at_path(r, "page_alloc"); a && a->is_object())
    m.alloc_available = flag(*a, "available");
  m.alloc_calls = num(r, {"page_alloc.total_calls"});
  m.alloc_pages = num(r, {"page_alloc.total_pages"});
  m.alloc_pages_per_s = num(r, {"page_alloc.pages_per_s"});
  each(r, "page_alloc.by_order", [&](const json& o, const std::string& p) {
    m.alloc_by_order.push_back(
        {integer(o, "order"), num(r, {p + "calls"}), num(r, {p + "pages"}), num(r, {p + "pages_per_s"})});
  });
}

void zones(PageModel& m, const json& r) {
  each(r, "zones", [&](const json& z, const std::string& p) {
    m.zones.push_back({integer(z, "nid"), text(z, "zone"), num(r, {p + "free"}), num(r, {p + "min"}),
                       num(r, {p + "low"}), num(r, {p + "high"}), num(r, {p + "managed"}),
                       num(r, {p + "present"})});
  });
  m.min_free_kbytes = num(r, {"min_free_kbytes"});
  each(r, "hazards", [&](const json& h, const std::string&) { m.hazards.push_back(hazard(h)); });
  each(r, "hotadd", [&](const json& h, const std::string& p) {
    PageModel::HotAdd o;
    o.id = integer(h, "id");
    o.kind = text(h, "kind");
    o.zone = text(h, "zone");
    o.range = text(h, "range");
    o.nid = integer(h, "nid", -1);
    o.start_s = dbl(h, "start_s");
    o.duration_s = dbl(h, "duration_s");
    o.settled = flag(h, "settled");
    o.present_delta = num(r, {p + "present_delta"});
    o.pages_onlined = num(r, {p + "pages_onlined"});
    each(r, p + "hazards", [&](const json& x, const std::string&) { o.hazards.push_back(hazard(x)); });
    m.hotadd.push_back(std::move(o));
  });
}

// Verdict bands: recorded raise..clear pairs, then verdicts in force at the
// end that no recorded band already covers (from their onset).
void verdicts(PageModel& m, const json& r, const PageContext& c) {
  const double end = m.duration_s.v;
  const double start_s = static_cast<double>(c.window_start) / 1e9;
  std::map<std::pair<std::string, int>, size_t> open;  // kind, nid -> band index
  each(r, "recorded_verdicts", [&](const json& v, const std::string&) {
    PageModel::Verdict x = verdict(v, dbl(v, "t"));
    const auto key = std::make_pair(x.kind, x.nid);
    const bool raised = text(v, "change") != "cleared";
    if (raised && !open.count(key)) {
      open[key] = m.bands.size();
      m.bands.push_back({x.kind, x.severity, x.nid, std::max(0.0, x.t), end, true});
    } else if (!raised && open.count(key)) {
      auto& b = m.bands[open[key]];
      b.to_s = std::max(b.from_s, x.t);
      b.open = false;
      open.erase(key);
    }
    m.recorded_verdicts.push_back(std::move(x));
  });
  each(r, "verdicts", [&](const json& v, const std::string&) {
    const double since = dbl(v, "since", start_s);
    PageModel::Verdict x = verdict(v, std::max(0.0, since - start_s));
    if (x.state != "pending" && !open.count({x.kind, x.nid}))
      m.bands.push_back({x.kind, x.severity, x.nid, x.t, end, true});
    m.verdicts.push_back(std::move(x));
  });
}

}  // namespace

PageModel page_model(const json& report, const PageContext& ctx) {
  PageModel m;
  header(m, report, ctx);
  kswapd(m, report);
  reclaim_and_alloc(m, report);
  zones(m, report);
  verdicts(m, report, ctx);
  return m;
}

}  // namespace kst
