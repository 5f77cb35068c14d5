// Verdicts in the one-shot summary: JSON key "verdicts" and the text section.
#include <gtest/gtest.h>

#include "core/analyzer.h"
#include "core/detector.h"
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "synthetic_stream.h"

using namespace kst;
using kst::test::kSec;
using kst::test::Second;
using kst::test::SyntheticStream;

namespace {

Summary livelock_summary() {
  SourceInfo src;
  src.backend = "synthetic";
  src.kernel_release = "4.4.0-98-generic";
  SyntheticStream ss(SyntheticStream::seed_zones(), 100 * kSec, true);
  Analyzer an(src, ss.now());
  Detector det({}, src);
  auto feed = [&](const Event& e) {
    an.on_event(e);
    det.on_event(e);
  };
  for (auto& e : ss.samples()) feed(e);
  det.evaluate(ss.now());
  Second s;
  s.wakes = 300;
  s.cpu = 0.99;
  s.quick = 300;
  s.slabs = 60000;
  for (int i = 0; i < 40; i++) {
    ss.events(s, feed);
    for (auto& e : ss.samples()) feed(e);
    det.evaluate(ss.now());
  }
  Summary sm = an.summary(ss.now());
  sm.have_verdicts = true;
  sm.verdicts = det.report();
  return sm;
}

}  // namespace

TEST(VerdictSinks, JsonVerdicts) {
  const Summary sm = livelock_summary();
  const auto j = to_json(sm);
  ASSERT_TRUE(j.contains("verdicts"));
  bool livelock = false;
  for (const auto& v : j["verdicts"]) {
    for (const char* k : {"kind", "severity", "alert", "state", "nid", "since", "raised", "for_s", "message",
                          "evidence", "advice"})
      EXPECT_TRUE(v.contains(k)) << k;
    if (v["kind"] == "LIVELOCK") {
      livelock = true;
      EXPECT_EQ(v["state"], "active");
      EXPECT_DOUBLE_EQ(v["since"].get<double>(), 100.0);
      EXPECT_DOUBLE_EQ(v["for_s"].get<double>(), 40.0);
      EXPECT_EQ(v["evidence"]["zone_managed"], 9);
    }
  }
  EXPECT_TRUE(livelock);
}

TEST(VerdictSinks, UnknownEvidenceIsNull) {
  Verdict v;
  v.kind = "LIVELOCK";
  v.evidence = {{"cpu_pct", -1}, {"runs_per_s", 12.5}};
  const auto j = to_json(v);
  EXPECT_TRUE(j["evidence"]["cpu_pct"].is_null());
  EXPECT_DOUBLE_EQ(j["evidence"]["runs_per_s"].get<double>(), 12.5);
  EXPECT_TRUE(j["raised"].is_null());
  EXPECT_FALSE(j.contains("for_s"));
  EXPECT_EQ(render_evidence(v.evidence), " cpu_pct=- runs_per_s=12");
}

TEST(VerdictSinks, TextSection) {
  const std::string text = render_text(livelock_summary());
  EXPECT_NE(text.find("\nverdict\n  [critical] LIVELOCK node 0, for 40 s"), std::string::npos) << text;
  EXPECT_NE(text.find("[critical] TINY-ZONE node 0"), std::string::npos) << text;
  EXPECT_NE(text.find("      -> "), std::string::npos);
  Summary quiet;
  quiet.have_verdicts = true;
  EXPECT_NE(render_text(quiet).find("verdict: nothing wrong with kswapd"), std::string::npos);
  Summary replayed;  // no detector ran: no verdict line at all
  EXPECT_EQ(render_text(replayed).find("verdict"), std::string::npos);
}
