// The HTML report (sinks/html): escaping of untrusted strings, the time
// series builder, the JSON -> page mapping, and the page of a real
// recording against `report --json` of the same recording.
#include "sinks/html/html_report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/untrusted_text.h"
#include "sinks/html/html_escape.h"
#include "sinks/html/html_model.h"
#include "sinks/html/html_series.h"
#include "sinks/json/json_report.h"

using namespace kst;
using nlohmann::json;

namespace {

constexpr TimeNs kS = 1000000000ull;

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// The text of <script type="application/json" id="ID">.
json embedded(const std::string& page, const std::string& id) {
  const std::string open = "<script type=\"application/json\" id=\"" + id + "\">";
  const size_t a = page.find(open);
  if (a == std::string::npos) return nullptr;
  const size_t b = page.find("</script>", a);
  return json::parse(page.substr(a + open.size(), b - a - open.size()));
}

const json* at(const json& root, const std::string& path) {
  const json* j = &root;
  std::stringstream ss(path);
  std::string step;
  while (std::getline(ss, step, '.')) {
    if (j->is_array()) {
      const size_t i = std::stoul(step);
      if (i >= j->size()) return nullptr;
      j = &(*j)[i];
    } else if (j->is_object() && j->contains(step)) {
      j = &(*j)[step];
    } else {
      return nullptr;
    }
  }
  return j;
}

// Every data-json="PATH" data-v="V" of the page equals the JSON; returns how many.
size_t check_numbers(const std::string& page, const json& report) {
  static const std::regex re("data-json=\"([^\"]+)\" data-v=\"([^\"]+)\"");
  size_t n = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), re); it != std::sregex_iterator(); ++it) {
    const std::string path = (*it)[1];
    const json* j = at(report, path);
    EXPECT_TRUE(j && j->is_number()) << path;
    if (!j || !j->is_number()) continue;
    EXPECT_DOUBLE_EQ(std::stod((*it)[2]), j->get<double>()) << path;
    n++;
  }
  return n;
}

}  // namespace

TEST(HtmlEscape, MarkupQuotesAndAmpersands) {
  EXPECT_EQ(html_escape("<img src=x onerror=\"a('b')\">&amp;"),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;amp;");
  EXPECT_EQ(html_escape("kworker/u8:2"), "kworker/u8:2");
  EXPECT_EQ(html_escape("zone Normal \u00e9\u4e2d"), "zone Normal \u00e9\u4e2d");  // valid UTF-8 kept
}

TEST(HtmlEscape, InvalidUtf8AndControlsStayVisibleAndValid) {
  const std::string s = html_escape(std::string("a\xff\xc0\x80<b\x1b[31m\x7f\n", 13));
  EXPECT_EQ(s.find('\xff'), std::string::npos);
  EXPECT_EQ(s.find('\x1b'), std::string::npos);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_NE(s.find("\\xff"), std::string::npos) << s;
  EXPECT_NE(s.find("\\x1b"), std::string::npos) << s;
  EXPECT_NE(s.find("&lt;b"), std::string::npos);
  EXPECT_EQ(to_valid_utf8(s), s);
}

TEST(HtmlEscape, ScriptJsonCannotCloseTheScriptAndParsesBack) {
  const json j = {
      {"comm", "</script><script>alert(1)</script><!--"}, {"bad", std::string("x\xfe", 2)}, {"n", 3}};
  const std::string s = script_json(j);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(s.find('>'), std::string::npos);
  const json back = json::parse(s);
  EXPECT_EQ(back["comm"], j["comm"]);
  EXPECT_EQ(back["n"], 3);
  EXPECT_EQ(back["bad"], "x\xef\xbf\xbd");  // U+FFFD
}

TEST(HtmlSeries, AwakeTimeWakesAndStallsLandInTheirBins) {
  HtmlSeriesBuilder b(100000000ull, 600);  // 100 ms slots
  const TimeNs t0 = 1000 * kS;
  b.on_event({t0, ZoneSample{}});
  b.on_event({t0 + kS / 2, KswapdWake{0, 2, 0}});
  b.on_event({t0 + kS / 2 + kS / 100, KswapdWake{0, 2, 0}});  // a second pass, same episode
  b.on_event({t0 + 2 * kS, KswapdSleep{0}});                  // awake 0.5 .. 2.0 s
  b.on_event({t0 + 8 * kS, KswapdWake{1, 2, 3}});             // still awake at the end (10 s)
  DirectReclaim d;
  d.begin_ns = t0 + 3 * kS;
  d.end_ns = d.begin_ns + 5000000;  // 5 ms
  b.on_event({d.end_ns, d});
  d.memcg = true;
  d.end_ns = d.begin_ns + 7000000;
  b.on_event({d.end_ns, d});
  const HtmlSeries s = b.finish(t0, t0 + 10 * kS);
  EXPECT_DOUBLE_EQ(s.duration_s, 10);
  EXPECT_NEAR(s.bin_s, 0.1, 1e-12);
  ASSERT_EQ(s.nodes.at(0).size(), 100u);
  double awake0 = 0, awake1 = 0;
  uint32_t wakes0 = 0;
  for (const auto& x : s.nodes.at(0)) awake0 += x.awake_s, wakes0 += x.wakes;
  for (const auto& x : s.nodes.at(1)) awake1 += x.awake_s;
  EXPECT_NEAR(awake0, 1.5, 1e-9);
  EXPECT_NEAR(awake1, 2.0, 1e-9);  // the open episode counts up to the end
  EXPECT_EQ(wakes0, 2u);
  EXPECT_EQ(s.nodes.at(0)[5].wakes, 2u);
  EXPECT_NEAR(s.nodes.at(0)[4].awake_s, 0, 1e-12);
  EXPECT_NEAR(s.nodes.at(0)[5].awake_s, 0.1, 1e-9);
  EXPECT_EQ(s.stalls[30].direct, 1u);
  EXPECT_EQ(s.stalls[30].direct_max_us, 5000u);
  EXPECT_EQ(s.stalls[30].memcg, 1u);
  EXPECT_EQ(s.stalls[30].memcg_max_us, 7000u);
}

TEST(HtmlSeries, LongWindowsMergeBinsAndKeepZoneDips) {
  HtmlSeriesBuilder b(100000000ull, 60);
  const TimeNs t0 = 50 * kS;
  for (int i = 0; i <= 600; i++) {  // 10 min of 1 Hz zone samples
    ZoneInfo z;
    z.name = "Normal";
    z.free = i == 305 ? 10 : 1000;  // one dip
    z.min = 20, z.low = 25, z.high = 30;
    b.on_event({t0 + i * kS, ZoneSample{{z}, -1}});
    b.on_event({t0 + i * kS, KswapdWake{0, 2, 0}});
  }
  const HtmlSeries s = b.finish(t0, t0 + 600 * kS);
  EXPECT_NEAR(s.bin_s, 10, 1e-9);
  EXPECT_EQ(s.nodes.at(0).size(), 60u);
  EXPECT_EQ(s.nodes.at(0)[0].wakes, 10u);
  ASSERT_EQ(s.zones.size(), 1u);
  EXPECT_LE(s.zones[0].points.size(), 61u);
  uint64_t least = 1000;
  for (const auto& p : s.zones[0].points) least = std::min(least, p.free);
  EXPECT_EQ(least, 10u);  // downsampling keeps the dip
}

TEST(HtmlSeries, AllocationRatesByOrderSkipCounterResets) {
  HtmlSeriesBuilder b;
  const TimeNs t0 = 10 * kS;
  const auto alloc = [&](TimeNs ts, uint64_t o0, uint64_t o3) {
    AllocCounters a;
    a.cells.push_back({0, 2, 0, 0, 0, o0});
    a.cells.push_back({0, 2, 3, 0, 0, o3});
    b.on_event({ts, a});
  };
  alloc(t0, 1000, 10);
  alloc(t0 + 2 * kS, 3000, 30);  // 1000/s and 10/s
  alloc(t0 + 3 * kS, 5, 1);      // a restarted recorder: no rate from this pair
  alloc(t0 + 4 * kS, 505, 3);
  const HtmlSeries s = b.finish(t0, t0 + 4 * kS);
  EXPECT_EQ(s.max_order, 3);
  ASSERT_EQ(s.alloc.size(), 2u);
  EXPECT_DOUBLE_EQ(s.alloc[0].per_s[0], 1000);
  EXPECT_DOUBLE_EQ(s.alloc[0].per_s[3], 10);
  EXPECT_DOUBLE_EQ(s.alloc[1].per_s[0], 500);
  EXPECT_DOUBLE_EQ(s.alloc[1].per_s[3], 2);
  EXPECT_DOUBLE_EQ(s.alloc[1].t, 4);
}

TEST(HtmlModel, MissingAndRenamedFieldsNeverThrow) {
  PageContext ctx;
  ctx.host = "from-header";
  EXPECT_NO_THROW(page_model(json::object(), ctx));
  EXPECT_NO_THROW(page_model(json::array(), ctx));
  EXPECT_NO_THROW(page_model(json{{"nodes", 3}, {"zones", {1, "x"}}, {"direct_reclaim", nullptr}}, ctx));
  PageModel m = page_model(json::object(), ctx);
  EXPECT_EQ(m.host, "from-header");
  EXPECT_FALSE(m.duration_s.ok());
  m = page_model(json{{"hostname", "from-json"}, {"duration_s", 5}}, ctx);
  EXPECT_EQ(m.host, "from-json");
  EXPECT_EQ(m.duration_s.path, "duration_s");
  // a rendered page of an empty object is still a page
  const std::string page = render_html(json::object(), HtmlSeries{}, ctx);
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

TEST(HtmlModel, VerdictBandsFromRecordedChanges) {
  const json r = {
      {"duration_s", 100},
      {"recorded_verdicts",
       {{{"kind", "LIVELOCK"}, {"nid", 0}, {"change", "raised"}, {"t", 20.0}, {"severity", "critical"}},
        {{"kind", "LIVELOCK"}, {"nid", 0}, {"change", "cleared"}, {"t", 70.0}},
        {{"kind", "TINY-ZONE"}, {"nid", 0}, {"change", "raised"}, {"t", 1.0}}}}};
  const PageModel m = page_model(r, PageContext{});
  ASSERT_EQ(m.bands.size(), 2u);
  EXPECT_EQ(m.bands[0].kind, "LIVELOCK");
  EXPECT_DOUBLE_EQ(m.bands[0].from_s, 20);
  EXPECT_DOUBLE_EQ(m.bands[0].to_s, 70);
  EXPECT_FALSE(m.bands[0].open);
  EXPECT_TRUE(m.bands[1].open);
  EXPECT_DOUBLE_EQ(m.bands[1].to_s, 100);
}

TEST(HtmlReport, HostileStringsAreEscapedEverywhere) {
  const std::string evil = "<img src=x onerror=alert(1)>\xff";
  json r = {{"kernel", evil},
            {"duration_s", 1},
            {"direct_reclaim", {{"count", 1}, {"top_commands", {{{"comm", evil}, {"count", 1}}}}}},
            {"zones", {{{"nid", 0}, {"zone", evil}, {"free", 1}}}},
            {"hazards", {{{"kind", evil}, {"message", evil}, {"advice", evil}, {"severity", evil}}}}};
  HtmlSeries s;
  s.duration_s = 1;
  s.bin_s = 1;
  s.hotadd.push_back({0.5, evil});
  s.zones.push_back({0, evil, {{0, 5, 1, 2, 3}, {1, 4, 1, 2, 3}}});
  PageContext ctx;
  ctx.host = evil;
  ctx.recording_id = evil;
  const std::string page = render_html(r, s, ctx);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find('\xff'), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;\\xff"), std::string::npos);
  EXPECT_EQ(to_valid_utf8(page), page);
  EXPECT_EQ(embedded(page, "kst-report")["kernel"], "<img src=x onerror=alert(1)>\xef\xbf\xbd");
}

// (c): the page of a real recording shows the numbers `report --json` prints.
TEST(HtmlReport, RealRecordingNumbersEqualReportJson) {
  const std::string rec = std::string(KST_TEST_DATA) + "/fuzz/recording/memcg-6.18.kst";
  const std::string out = ::testing::TempDir() + "/kst-html-test.html";
  const std::string bin = KST_BINARY;
  const json report = json::parse(run(bin + " report --json " + rec + " 2>/dev/null"));
  ASSERT_EQ(std::system((bin + " report --html -o " + out + " " + rec + " 2>/dev/null").c_str()), 0);
  std::ifstream f(out);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string page = ss.str();
  std::remove(out.c_str());
  EXPECT_EQ(embedded(page, "kst-report"), report);
  const size_t n = check_numbers(page, report);
  EXPECT_GE(n, 20u) << "numbers with a JSON path on the page";
  const json series = embedded(page, "kst-series");
  EXPECT_NEAR(series["duration_s"].get<double>(), report["duration_s"].get<double>(), 1e-6);
  // the memcg stalls of the series add up to the report's count
  uint64_t memcg = 0;
  for (const auto& x : series["stalls"]["memcg"]) memcg += x.get<uint64_t>();
  EXPECT_EQ(memcg, report["memcg_reclaim"]["count"].get<uint64_t>());
  EXPECT_GT(memcg, 0u);
  for (const char* id : {"id=\"verdicts\"", "id=\"kswapd\"", "id=\"reclaim\"", "id=\"zones\"", "id=\"alloc\"",
                         "id=\"hist-memcg\""})
    EXPECT_NE(page.find(id), std::string::npos) << id;
  // nothing on the page reaches the network
  EXPECT_FALSE(
      std::regex_search(page, std::regex("(src|href)\\s*=\\s*[\"']?\\s*(https?:)?//", std::regex::icase)));
}

TEST(HtmlReport, CommandLineErrorsExitTwo) {
  const std::string bin = KST_BINARY;
  const std::string rec = std::string(KST_TEST_DATA) + "/fuzz/recording/memcg-6.18.kst";
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " report --html " + rec + " 2>/dev/null").c_str())), 2);
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " report -o x.html " + rec + " 2>/dev/null").c_str())), 2);
  EXPECT_EQ(
      WEXITSTATUS(std::system((bin + " report --json --html -o - " + rec + " >/dev/null 2>&1").c_str())), 2);
  EXPECT_EQ(WEXITSTATUS(std::system(
                (bin + " report --html -o /nonexistent/dir/x.html " + rec + " 2>/dev/null").c_str())),
            1);
}
