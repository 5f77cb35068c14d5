#include "sinks/html/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sinks/html/html_escape.h"
#include "sinks/html/html_svg.h"

namespace kst {

namespace {

using svg::fmt;

constexpr int kWidth = 960;

const char* kCss = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1b1b;
 margin:0 auto;max-width:1000px;padding:16px 20px 40px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #1b1b1b;padding-bottom:2px}
h3{font-size:15px;margin:18px 0 6px}
.sub{color:#444;margin:0 0 12px}
dl.facts{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:2px 14px;margin:8px 0}
dl.facts dt{font-weight:600;color:#333}dl.facts dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #ccc;padding:3px 10px 3px 0;text-align:left;vertical-align:top}
td.r,th.r{text-align:right}
.stats{display:flex;flex-wrap:wrap;gap:4px 22px;margin:4px 0}
.stats span.k{color:#444}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:0 6px;border-radius:3px;border:1.5px solid #1b1b1b;
 letter-spacing:.03em}
.sev-critical{background:#a01d12;color:#fff;border-color:#a01d12}
.sev-warning{background:#fbecc8;color:#5a3a00;border-color:#8a5a00}
.sev-notice,.sev-info{background:#eee;color:#333;border-color:#777}
.verdict,.hazard{border:1.5px solid #999;border-left-width:6px;padding:6px 10px;margin:8px 0;border-radius:3px}
.verdict.sev-critical,.hazard.sev-critical{border-color:#a01d12;background:#fff;color:#1b1b1b}
.verdict.sev-warning,.hazard.sev-warning{border-color:#8a5a00;background:#fff}
.verdict.sev-notice,.verdict.sev-info,.hazard.sev-notice{border-color:#777;background:#fff}
.verdict p,.hazard p{margin:4px 0}
.advice{font-style:italic}
dl.ev{display:grid;grid-template-columns:max-content 1fr;gap:0 12px;margin:4px 0;font-size:13px}
dl.ev dt{color:#444}dl.ev dd{margin:0;font-variant-numeric:tabular-nums}
.warn{border:2px solid #a01d12;padding:6px 10px;margin:8px 0;font-weight:600}
.note{color:#444;font-size:13px}
svg.chart{display:block;max-width:100%;height:auto;margin:4px 0 2px}
svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#1b1b1b}
svg .axis line{stroke:#1b1b1b;stroke-width:1}svg .axis line.grid{stroke:#ddd}
svg text.title{font-size:12px;fill:#333}svg text.lbl{font-size:11px;font-weight:600}
svg text.band{font-size:11px;font-weight:700}svg text.mark{font-size:10px;fill:#4a1a5c}
.legend{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:12px;margin:0 0 6px 64px}
.legend svg{vertical-align:middle;margin-right:4px}
.hist td.bar{width:260px}.hist div.bar{height:11px;background:#3b5b7a;border:1px solid #1b1b1b;min-width:1px}
.hist div.bar.memcg{background:repeating-linear-gradient(45deg,#b4501e 0 3px,#fff 3px 6px)}
.cols{display:flex;flex-wrap:wrap;gap:0 40px}
footer{margin-top:30px;color:#555;font-size:12px}
@media print{body{max-width:none}h2{break-after:avoid}svg.chart{break-inside:avoid}}
)";

std::string esc(const std::string& s) { return html_escape(s); }

std::string raw_number(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// A number from the report JSON, with the path it came from (see html_model.h).
std::string n(const Num& x, int decimals = 2, const std::string& unit = "") {
  if (!x.ok()) return "<span class=\"n missing\">&ndash;</span>";
  return "<span class=\"n\" data-json=\"" + esc(x.path) + "\" data-v=\"" + raw_number(x.v) + "\">" +
         fmt(x.v, decimals) + unit + "</span>";
}

std::string badge(const std::string& severity) {
  std::string up = severity.empty() ? "INFO" : severity;
  for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "<span class=\"badge sev-" + esc(severity) + "\">" + esc(up) + "</span>";
}

std::string stat(const char* k, const std::string& v) {
  return "<span><span class=\"k\">" + std::string(k) + ":</span> " + v + "</span>";
}

std::string swatch(const std::string& shape) {
  return "<svg width=\"26\" height=\"12\" aria-hidden=\"true\">" + shape + "</svg>";
}

// ---- header ----

std::string header(const PageModel& m) {
  std::string s = "<header><h1>kswaptrace report: " + esc(m.host.empty() ? "unknown host" : m.host) + "</h1>";
  s += "<p class=\"sub\">kswapd, reclaim stalls, zone watermarks and page allocations over the window</p>";
  s += "<dl class=\"facts\">";
  const auto fact = [&](const char* k, const std::string& v) {
    s += "<dt>" + std::string(k) + "</dt><dd>" + v + "</dd>";
  };
  fact("host", esc(m.host.empty() ? "unknown" : m.host));
  fact("kernel", esc(m.kernel));
  fact("window", m.window_from.empty() ? "&ndash;" : esc(m.window_from) + " &ndash; " + esc(m.window_to));
  fact("duration", n(m.duration_s, 1, " s"));
  fact("recording", m.recording_id.empty() ? "&ndash; (live)" : esc(m.recording_id));
  fact("source", esc(m.backend));
  fact("lost events", n(m.lost_events, 0));
  fact("reclaim ends without a begin", n(m.reclaim_unpaired, 0));
  s += "</dl>";
  if (m.damaged) {
    s += "<div class=\"warn\" id=\"damage\">Damaged recording: " + n(m.bad_blocks, 0) +
         " block(s) failed their checksum or did not decode, " + n(m.torn_blocks, 0) + " torn, " +
         n(m.skipped_bytes, 0) + " bytes skipped. The numbers below miss what those blocks held.";
    for (const auto& w : m.damage_warnings) s += "<br><span class=\"note\">" + esc(w) + "</span>";
    s += "</div>";
  }
  if (m.lost_events.v > 0)
    s += "<div class=\"warn\">" + n(m.lost_events, 0) +
         " events were lost (ring buffer full): counts and timelines undercount.</div>";
  for (const auto& d : m.degraded) s += "<p class=\"note\">degraded: " + esc(d) + "</p>";
  return s + "</header>\n";
}

// ---- verdicts ----

std::string verdict_card(const PageModel::Verdict& v, bool recorded) {
  std::string s = "<div class=\"verdict sev-" + esc(v.severity) + "\" data-kind=\"" + esc(v.kind) + "\">";
  s += "<p>" + badge(v.severity) + " <strong>" + esc(v.kind) + "</strong> on node " + std::to_string(v.nid) +
       " &mdash; " + esc(v.state) + (recorded ? " at " : " since ") + fmt(v.t, 1) + " s</p>";
  s += "<p>" + esc(v.message) + "</p>";
  if (!v.evidence.empty()) {
    s += "<dl class=\"ev\">";
    for (const auto& [k, x] : v.evidence) s += "<dt>" + esc(k) + "</dt><dd>" + esc(x) + "</dd>";
    s += "</dl>";
  }
  if (!v.advice.empty()) s += "<p class=\"advice\">What to check: " + esc(v.advice) + "</p>";
  return s + "</div>";
}

std::string verdicts(const PageModel& m) {
  std::string s = "<section id=\"verdicts\"><h2>Verdicts</h2>";
  if (m.verdicts.empty() && m.recorded_verdicts.empty())
    s += "<p>No verdict was raised in this window" +
         std::string(m.backend == "replay" ? " (the recorder raised none)." : ".") + "</p>";
  for (const auto& v : m.verdicts) s += verdict_card(v, false);
  if (!m.recorded_verdicts.empty()) {
    s += "<h3>As the recorder raised and cleared them</h3>";
    for (const auto& v : m.recorded_verdicts) s += verdict_card(v, true);
  }
  return s + "</section>\n";
}

// ---- kswapd per node ----

std::string band_fill(const std::string& sev) {
  if (sev == "critical") return "fill=\"url(#hatch-crit)\" stroke=\"#a01d12\"";
  if (sev == "warning") return "fill=\"url(#hatch-warn)\" stroke=\"#8a5a00\"";
  return "fill=\"#e6e6e6\" stroke=\"#777\"";
}

std::string node_bands(const PageModel& m, int nid, double dur) {
  std::vector<const PageModel::Band*> bands;
  for (const auto& b : m.bands)
    if (b.nid == nid) bands.push_back(&b);
  if (bands.empty())
    return "<p class=\"note\">No verdict on node " + std::to_string(nid) + " in this window.</p>";
  std::vector<std::string> rows;  // one row per verdict kind
  for (const auto* b : bands)
    if (std::find(rows.begin(), rows.end(), b->kind) == rows.end()) rows.push_back(b->kind);
  const int h = 20 + 22 * static_cast<int>(rows.size());
  svg::Plot p(kWidth, h, 0, dur, 0, static_cast<double>(rows.size()));
  for (const auto* b : bands) {
    const double row = static_cast<double>(std::find(rows.begin(), rows.end(), b->kind) - rows.begin());
    const double y1 = rows.size() - row, y0 = y1 - 0.85;
    const std::string t = esc(b->kind) + " (" + esc(b->severity) + ") " + fmt(b->from_s, 1) + " s .. " +
                          (b->open ? "end" : fmt(b->to_s, 1) + " s");
    p.rect(b->from_s, std::max(b->to_s, b->from_s + dur / 400), y0, y1,
           band_fill(b->severity) + " class=\"vband\" data-kind=\"" + esc(b->kind) + "\"", t);
    p.label_at(b->from_s, p.y(y1) + 14, esc(b->kind) + (b->open ? " \u2192" : ""), "band");
  }
  p.raw("<text class=\"title\" x=\"4\" y=\"12\">verdicts</text>");
  return p.str("verdict bands on node " + std::to_string(nid));
}

std::string kswapd(const PageModel& m, const HtmlSeries& s) {
  std::string out = "<section id=\"kswapd\"><h2>kswapd per node</h2>";
  const double dur = std::max(s.duration_s, 1e-3);
  const svg::TimeUnit tu = svg::time_unit(dur);
  const std::string xt = "time since the window start (" + std::string(tu.name) + ")";
  std::vector<int> nids;
  for (const auto& nd : m.nodes) nids.push_back(nd.nid);
  for (const auto& [nid, bins] : s.nodes)
    if (std::find(nids.begin(), nids.end(), nid) == nids.end()) nids.push_back(nid);
  if (nids.empty()) out += "<p>No kswapd activity and no node in the report.</p>";
  for (int nid : nids) {
    out += "<h3>node " + std::to_string(nid) + "</h3><div class=\"stats\">";
    for (const auto& nd : m.nodes)
      if (nd.nid == nid)
        out += stat("wakes", n(nd.wakes, 0)) + stat("episodes", n(nd.episodes, 0)) +
               stat("awake", n(nd.awake_s, 2, " s")) + stat("duty cycle", n(nd.duty_cycle, 3)) +
               stat("longest episode", n(nd.longest_episode_s, 2, " s")) +
               stat("wakeup requests", n(nd.wakeup_requests, 0)) +
               (nd.cpu_pct.ok() ? stat("kswapd CPU", n(nd.cpu_pct, 1, " %")) : "");
    out += "</div>" + node_bands(m, nid, dur);
    auto it = s.nodes.find(nid);
    if (it == s.nodes.end()) {
      out += "<p class=\"note\">kswapd never woke on this node in the window.</p>";
      continue;
    }
    svg::Plot awake(kWidth, 170, 0, dur, 0, 100);
    double max_w = 0;
    std::vector<double> xs, ws;
    for (size_t i = 0; i < it->second.size(); i++) {
      const auto& b = it->second[i];
      const double x0 = i * s.bin_s;
      if (b.awake_s > 0)
        awake.rect(x0, std::min(dur, x0 + s.bin_s), 0, std::min(100.0, 100 * b.awake_s / s.bin_s),
                   "fill=\"#3b5b7a\"");
      xs.push_back(std::min(dur, x0 + s.bin_s / 2));
      ws.push_back(b.wakes / s.bin_s);
      max_w = std::max(max_w, b.wakes / s.bin_s);
    }
    awake.axes(xt, "awake (% of time)", tu);
    awake.end_labels({{50, "kswapd awake"}});
    out += awake.str("kswapd awake share over time, node " + std::to_string(nid));
    svg::Plot wakes(kWidth, 130, 0, dur, 0, std::max(1.0, max_w * 1.1));
    wakes.line(xs, ws, "stroke=\"#1b1b1b\" stroke-width=\"1.5\"");
    wakes.axes(xt, "wakes / s", tu);
    wakes.end_labels({{ws.empty() ? 0 : ws.back(), "kswapd_wake"}});
    out += wakes.str("kswapd wakes per second, node " + std::to_string(nid));
  }
  return out + "</section>\n";
}

// ---- reclaim ----

std::string bucket_range(double lo, double hi) { return fmt(lo, 0) + " &ndash; " + fmt(hi, 0); }

std::string histogram(const char* title, const char* id, const PageModel::Reclaim& r, bool memcg) {
  std::string s = "<div class=\"hist\" id=\"" + std::string(id) + "\"><h3>" + title +
                  "</h3><div class=\"stats\">" + stat("stalls", n(r.count, 0)) +
                  stat("total", n(r.total_ms, 1, " ms")) + stat("longest", n(r.max_us, 0, " us")) +
                  stat("reclaimed", n(r.reclaimed_pages, 0, " pages")) + "</div>";
  uint64_t top = 0;
  for (const auto& b : r.buckets) top = std::max(top, b.count);
  if (!top) return s + "<p class=\"note\">none in this window</p></div>";
  s += "<table><tr><th class=\"r\">usecs</th><th class=\"r\">count</th><th>distribution</th></tr>";
  for (const auto& b : r.buckets) {
    const double pct = 100.0 * b.count / top;
    s += "<tr><td class=\"r\">" + bucket_range(b.low, b.high) + "</td><td class=\"r\">" + fmt(b.count) +
         "</td><td class=\"bar\"><div class=\"bar" + (memcg ? std::string(" memcg") : "") +
         "\" style=\"width:" + fmt(pct, 1) + "%\"></div></td></tr>";
  }
  return s + "</table></div>";
}

std::string stalls_chart(const HtmlSeries& s) {
  const double dur = std::max(s.duration_s, 1e-3);
  const svg::TimeUnit tu = svg::time_unit(dur);
  double top = 0;
  for (const auto& b : s.stalls) top = std::max<double>(top, b.direct + b.memcg);
  if (top == 0) return "<p class=\"note\">No reclaim stall in this window.</p>";
  svg::Plot p(kWidth, 170, 0, dur, 0, top * 1.1);
  for (size_t i = 0; i < s.stalls.size(); i++) {
    const auto& b = s.stalls[i];
    const double x0 = i * s.bin_s, x1 = std::min(dur, x0 + s.bin_s);
    if (b.direct) p.rect(x0, x1, 0, b.direct, "fill=\"#3b5b7a\" stroke=\"#1b1b1b\" stroke-width=\"0.3\"");
    if (b.memcg)
      p.rect(x0, x1, b.direct, b.direct + b.memcg,
             "fill=\"url(#hatch-d)\" stroke=\"#b4501e\" stroke-width=\"0.5\"");
  }
  p.axes("time since the window start (" + std::string(tu.name) + ")", "stalls per " + fmt(s.bin_s, 2) + " s",
         tu);
  return "<div class=\"legend\"><span>" +
         swatch("<rect x=\"1\" y=\"1\" width=\"24\" height=\"10\" fill=\"#3b5b7a\"/>") +
         "direct reclaim</span><span>" +
         swatch(
             "<rect x=\"1\" y=\"1\" width=\"24\" height=\"10\" fill=\"url(#hatch-d)\" stroke=\"#b4501e\"/>") +
         "memcg-limit reclaim (stacked on top)</span></div>" + p.str("reclaim stalls over time");
}

std::string reclaim(const PageModel& m, const HtmlSeries& s) {
  std::string out = "<section id=\"reclaim\"><h2>Reclaim stalls</h2><div class=\"cols\">";
  out += histogram("direct reclaim latency (log2)", "hist-direct", m.direct, false);
  out += histogram("memcg-limit reclaim latency (log2)", "hist-memcg", m.memcg, true);
  out += "</div><h3>stalls over time</h3>" + stalls_chart(s);
  out += "<h3>top commands (direct + memcg reclaim)</h3>";
  if (m.top_commands.empty()) return out + "<p class=\"note\">none</p></section>\n";
  out +=
      "<table id=\"top-commands\"><tr><th>command</th><th class=\"r\">stalls</th><th class=\"r\">total "
      "ms</th>"
      "<th class=\"r\">pages reclaimed</th></tr>";
  for (const auto& c : m.top_commands)
    out += "<tr><td class=\"comm\">" + esc(c.comm) + "</td><td class=\"r\">" + n(c.count, 0) +
           "</td><td class=\"r\">" + n(c.total_ms, 2) + "</td><td class=\"r\">" + n(c.reclaimed, 0) +
           "</td></tr>";
  return out + "</table></section>\n";
}

// ---- zones ----

struct LineStyle {
  const char* name;
  const char* attrs;
};
constexpr LineStyle kFree{"free", "stroke=\"#1b1b1b\" stroke-width=\"2\""};
constexpr LineStyle kMin{"min", "stroke=\"#a01d12\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\""};
constexpr LineStyle kLow{"low", "stroke=\"#8a5a00\" stroke-width=\"1.5\" stroke-dasharray=\"7 4\""};
constexpr LineStyle kHigh{"high", "stroke=\"#1f5e3a\" stroke-width=\"1.5\" stroke-dasharray=\"12 3 2 3\""};

std::string zone_legend() {
  std::string s = "<div class=\"legend\">";
  for (const auto& l : {kFree, kMin, kLow, kHigh})
    s += "<span>" + swatch("<line x1=\"1\" y1=\"6\" x2=\"25\" y2=\"6\" " + std::string(l.attrs) + "/>") +
         l.name + (std::string(l.name) == "free" ? " pages" : " watermark") + "</span>";
  s += "<span>" +
       swatch("<line x1=\"13\" y1=\"0\" x2=\"13\" y2=\"12\" stroke=\"#4a1a5c\" stroke-dasharray=\"3 2\"/>") +
       "memory hot-add event</span>";
  return s + "</div>";
}

std::string zone_chart(const ZoneSeries& z, const HtmlSeries& s,
                       const std::vector<PageModel::HotAdd>& hotadd) {
  const double dur = std::max(s.duration_s, 1e-3);
  const svg::TimeUnit tu = svg::time_unit(dur);
  double top = 1, wm = 1, low = 1e300;
  std::vector<double> t, f, mi, lo, hi;
  for (const auto& p : z.points) {
    t.push_back(p.t);
    f.push_back(p.free);
    mi.push_back(p.min);
    lo.push_back(p.low);
    hi.push_back(p.high);
    top = std::max({top, double(p.free), double(p.high)});
    wm = std::max(wm, double(p.high));
    low = std::min({low, double(p.free), p.min ? double(p.min) : 1e300});
  }
  // free memory far above the watermarks would flatten them onto the axis
  const bool log_y = top > 20 * wm;
  svg::Plot p(kWidth, 190, 0, dur,
              log_y ? std::max(1.0, std::pow(10, std::floor(std::log10(std::max(low, 1.0))))) : 0,
              log_y ? top * 2 : top * 1.1, log_y);
  int k = 0;
  for (const auto& h : hotadd)
    if (h.zone.empty() || (h.zone == z.zone && (h.nid < 0 || h.nid == z.nid)))
      p.rect(h.start_s, h.start_s + std::max(h.duration_s, dur / 300), log_y ? 0.1 : 0, top * 4,
             "fill=\"#efe6f3\" stroke=\"none\"", "hot-add " + std::to_string(h.id));
  for (const auto& mk : s.hotadd) {
    if (++k > 40) break;  // a big hot-add: the first blocks say when
    p.vline(mk.t, "stroke=\"#4a1a5c\" stroke-dasharray=\"3 2\" stroke-width=\"1\"",
            k <= 8 ? std::to_string(k) : "");
  }
  p.line(t, hi, kHigh.attrs, true);
  p.line(t, lo, kLow.attrs, true);
  p.line(t, mi, kMin.attrs, true);
  p.line(t, f, kFree.attrs);
  if (!t.empty())
    p.end_labels({{f.back(), "free"}, {mi.back(), "min"}, {lo.back(), "low"}, {hi.back(), "high"}});
  p.axes("time since the window start (" + std::string(tu.name) + ")", log_y ? "pages (log scale)" : "pages",
         tu);
  return p.str("free pages against min/low/high, node " + std::to_string(z.nid) + " zone " + z.zone);
}

std::string hazard_card(const PageModel::Hazard& h) {
  return "<div class=\"hazard sev-" + esc(h.severity) + "\" data-kind=\"" + esc(h.kind) + "\"><p>" +
         badge(h.severity) + " <strong>" + esc(h.kind) + "</strong> node " + std::to_string(h.nid) +
         " zone " + esc(h.zone) + ": " + esc(h.message) + "</p>" +
         (h.advice.empty() ? "" : "<p class=\"advice\">What to check: " + esc(h.advice) + "</p>") + "</div>";
}

std::string zones(const PageModel& m, const HtmlSeries& s) {
  std::string out = "<section id=\"zones\"><h2>Zones: free pages against the watermarks</h2>";
  for (const auto& h : m.hazards) out += hazard_card(h);
  out +=
      "<table id=\"zone-table\"><tr><th>node</th><th>zone</th><th class=\"r\">free</th><th "
      "class=\"r\">min</th>"
      "<th class=\"r\">low</th><th class=\"r\">high</th><th class=\"r\">managed</th><th "
      "class=\"r\">present</th></tr>";
  for (const auto& z : m.zones)
    out += "<tr><td>" + std::to_string(z.nid) + "</td><td>" + esc(z.zone) + "</td><td class=\"r\">" +
           n(z.free, 0) + "</td><td class=\"r\">" + n(z.min, 0) + "</td><td class=\"r\">" + n(z.low, 0) +
           "</td><td class=\"r\">" + n(z.high, 0) + "</td><td class=\"r\">" + n(z.managed, 0) +
           "</td><td class=\"r\">" + n(z.present, 0) + "</td></tr>";
  out += "</table><p class=\"note\">pages, at the end of the window; vm.min_free_kbytes " +
         n(m.min_free_kbytes, 0) + "</p>";
  bool any = false;
  for (const auto& z : s.zones) {
    uint64_t mx = 0;
    for (const auto& p : z.points) mx = std::max({mx, p.free, p.high});
    if (!mx) continue;  // an empty zone (Movable without memory) has nothing to draw
    if (!any) out += zone_legend();
    any = true;
    out +=
        "<h3>node " + std::to_string(z.nid) + " zone " + esc(z.zone) + "</h3>" + zone_chart(z, s, m.hotadd);
  }
  if (!any) out += "<p class=\"note\">No zone samples in this window.</p>";
  return out + "</section>\n";
}

// ---- hot-add ----

std::string hotadd(const PageModel& m, const HtmlSeries& s) {
  if (m.hotadd.empty() && s.hotadd.empty()) return "";
  std::string out = "<section id=\"hotadd\"><h2>Memory hot-add</h2>";
  if (!m.hotadd.empty()) {
    out +=
        "<table><tr><th>#</th><th>kind</th><th>node</th><th>zone</th><th>range</th><th class=\"r\">at</th>"
        "<th class=\"r\">took</th><th class=\"r\">present &Delta;</th><th>settled</th></tr>";
    for (const auto& h : m.hotadd)
      out += "<tr><td>" + std::to_string(h.id) + "</td><td>" + esc(h.kind) + "</td><td>" +
             std::to_string(h.nid) + "</td><td>" + esc(h.zone) + "</td><td>" + esc(h.range) +
             "</td><td class=\"r\">" + fmt(h.start_s, 1) + " s</td><td class=\"r\">" + fmt(h.duration_s, 2) +
             " s</td><td class=\"r\">" + n(h.present_delta, 0) + "</td><td>" + (h.settled ? "yes" : "no") +
             "</td></tr>";
    out += "</table>";
    for (const auto& h : m.hotadd)
      for (const auto& z : h.hazards) out += hazard_card(z);
  }
  if (!s.hotadd.empty()) {
    out += "<p class=\"note\">numbered marks on the zone charts:</p><ol class=\"marks\">";
    for (size_t i = 0; i < s.hotadd.size() && i < 8; i++)
      out += "<li>" + fmt(s.hotadd[i].t, 2) + " s: " + esc(s.hotadd[i].label) + "</li>";
    out += "</ol>";
    if (s.hotadd.size() > 8)
      out +=
          "<p class=\"note\">" + std::to_string(s.hotadd.size() - 8) + " more events, drawn unnumbered</p>";
  }
  return out + "</section>\n";
}

// ---- allocations ----

std::string order_style(int o) {
  static const char* colours[] = {"#1b1b1b", "#3b5b7a", "#b4501e", "#1f5e3a", "#7a2a8c", "#8a5a00"};
  static const char* dashes[] = {"", "6 3", "2 2", "10 3 2 3", "1 3", "12 4"};
  std::string s =
      "stroke=\"" + std::string(colours[o % 6]) + "\" stroke-width=\"" + (o < 6 ? "1.8" : "1.2") + "\"";
  if (*dashes[o % 6]) s += " stroke-dasharray=\"" + std::string(dashes[o % 6]) + "\"";
  return s;
}

std::string alloc(const PageModel& m, const HtmlSeries& s) {
  std::string out = "<section id=\"alloc\"><h2>Page allocations by order</h2><div class=\"stats\">" +
                    stat("calls", n(m.alloc_calls, 0)) + stat("pages", n(m.alloc_pages, 0)) +
                    stat("pages/s", n(m.alloc_pages_per_s, 1)) + "</div>";
  if (!m.alloc_available && s.alloc.empty())
    return out + "<p class=\"note\">Page allocations were not traced in this window.</p></section>\n";
  const double dur = std::max(s.duration_s, 1e-3);
  const svg::TimeUnit tu = svg::time_unit(dur);
  double top = 1;
  for (const auto& p : s.alloc)
    for (double v : p.per_s) top = std::max(top, v);
  if (s.alloc.size() >= 2) {
    svg::Plot p(kWidth, 220, 0, dur, 0.1, top * 2, true);
    std::vector<std::pair<double, std::string>> labels;
    std::string legend = "<div class=\"legend\">";
    for (int o = 0; o <= s.max_order; o++) {
      std::vector<double> xs, ys;
      double sum = 0;
      for (const auto& a : s.alloc) {
        xs.push_back(a.t);
        const double v = o < static_cast<int>(a.per_s.size()) ? a.per_s[o] : 0;
        ys.push_back(v);
        sum += v;
      }
      if (sum <= 0) continue;  // an order never allocated draws nothing
      p.line(xs, ys, order_style(o));
      labels.emplace_back(std::max(ys.back(), 0.1), "order " + std::to_string(o));
      legend += "<span>" + swatch("<line x1=\"1\" y1=\"6\" x2=\"25\" y2=\"6\" " + order_style(o) + "/>") +
                "order " + std::to_string(o) + "</span>";
    }
    p.end_labels(labels);
    p.axes("time since the window start (" + std::string(tu.name) + ")", "allocations / s (log scale)", tu);
    out += legend + "</div>" + p.str("page allocation calls per second by order");
  } else {
    out += "<p class=\"note\">Fewer than two allocation samples: no time series.</p>";
  }
  out +=
      "<table id=\"alloc-orders\"><tr><th class=\"r\">order</th><th class=\"r\">calls</th><th "
      "class=\"r\">pages</th>"
      "<th class=\"r\">pages/s</th></tr>";
  for (const auto& o : m.alloc_by_order)
    out += "<tr><td class=\"r\">" + std::to_string(o.order) + "</td><td class=\"r\">" + n(o.calls, 0) +
           "</td><td class=\"r\">" + n(o.pages, 0) + "</td><td class=\"r\">" + n(o.pages_per_s, 1) +
           "</td></tr>";
  return out + "</table></section>\n";
}

}  // namespace

std::string render_html(const nlohmann::json& report, const HtmlSeries& series, const PageContext& ctx) {
  const PageModel m = page_model(report, ctx);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>kswaptrace report: " +
      esc(m.host) + "</title><style>" + kCss + "</style></head><body>\n" + svg::defs();
  out += header(m) + verdicts(m) + kswapd(m, series) + reclaim(m, series) + zones(m, series) +
         hotadd(m, series) + alloc(m, series);
  out += "<footer>Made by kswaptrace" + (m.tool_version.empty() ? "" : " " + esc(m.tool_version)) +
         ". Every number above is in the report JSON embedded in this page (id=\"kst-report\", the output of "
         "<code>report --json</code>); the time series are in id=\"kst-series\".</footer>\n";
  out += "<script type=\"application/json\" id=\"kst-report\">" + script_json(report) + "</script>\n";
  out +=
      "<script type=\"application/json\" id=\"kst-series\">" + script_json(to_json(series)) + "</script>\n";
  return out + "</body></html>\n";
}

}  // namespace kst
