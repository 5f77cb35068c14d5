// The agent's metrics sink: values from events, bucket boundaries, the
// state file that keeps counters monotonic across restarts, the atomic
// textfile write, and (with prometheus-cpp) the exposition text.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "core/detector.h"
#include "sinks/metrics/collector.h"
#include "sinks/metrics/publisher.h"
#include "synthetic_stream.h"
#ifdef KST_HAVE_PROMETHEUS
#include "sinks/metrics/prom_exporter.h"
#endif

namespace kst::metrics {
namespace {

using test::kSec;

SourceInfo info() {
  SourceInfo s;
  s.kernel_release = "6.18.0-test";
  s.backend = "synthetic";
  return s;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/kst-metrics-test.XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::vector<std::string> entries() const {
    std::vector<std::string> v;
    DIR* d = opendir(path.c_str());
    while (dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") v.push_back(e->d_name);
    closedir(d);
    return v;
  }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Labels kNode0 = {{"node", "0"}};

TEST(MetricsCollector, KswapdWakesSleepsAwakeTimeAndEpisodes) {
  MetricsCollector c(info(), "0.1.0", 100 * kSec);
  c.on_event({101 * kSec, KswapdWake{0, 2, 0}});
  c.on_event({101 * kSec + kSec / 2, KswapdWake{0, 2, 0}});  // a new pass without sleeping
  c.on_event({102 * kSec, KswapdSleep{0}});
  c.on_event({103 * kSec, KswapdWake{0, 2, 0}});
  c.on_tick(105 * kSec, {});  // open episode: awake 2 s so far
  const MetricModel& m = c.model();
  EXPECT_EQ(m.counter("kswaptrace_kswapd_wakes_total", kNode0), 3);
  EXPECT_EQ(m.counter("kswaptrace_kswapd_sleeps_total", kNode0), 1);
  EXPECT_EQ(m.counter("kswaptrace_kswapd_rewakes_total", kNode0), 1);
  EXPECT_DOUBLE_EQ(m.counter("kswaptrace_kswapd_awake_seconds_total", kNode0), 3.0);
  const HistData& h = m.histograms().at({"kswaptrace_kswapd_awake_episode_seconds", kNode0});
  EXPECT_EQ(h.count, 1u);
  EXPECT_DOUBLE_EQ(h.sum, 1.0);
  // 1 s lands in le="1" (upper-inclusive), index 13 of the contract's buckets
  EXPECT_EQ(h.buckets.at(13), 1u);
  c.on_event({106 * kSec, KswapdSleep{0}});
  EXPECT_DOUBLE_EQ(c.model().counter("kswaptrace_kswapd_awake_seconds_total", kNode0), 4.0);
}

TEST(MetricsCollector, BucketsAreTheContractsAndUpperInclusive) {
  const std::vector<double> want = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3,
                                    0.1,   0.25,   0.5,    1,      2.5,  5,      10,   30,    60};
  EXPECT_EQ(stall_buckets(), want);
  HistData h;
  h.observe(50e-6);
  h.observe(60e-6);
  h.observe(61);
  EXPECT_EQ(h.buckets.size(), want.size() + 1);
  EXPECT_EQ(h.buckets[0], 1u);
  EXPECT_EQ(h.buckets[1], 1u);
  EXPECT_EQ(h.buckets.back(), 1u);  // +Inf
}

TEST(MetricsCollector, ReclaimStallsSplitDirectAndMemcg) {
  MetricsCollector c(info(), "0.1.0", 0);
  c.on_event({2 * kSec, DirectReclaim{1, "a", 0, 0, kSec, kSec + 2000000, 32, false}});  // 2 ms
  c.on_event({2 * kSec, DirectReclaim{1, "a", 0, 0, kSec, kSec + 300, 5, true}});        // 0.3 us
  const auto& hs = c.model().histograms();
  EXPECT_EQ(hs.at({"kswaptrace_direct_reclaim_stall_seconds", {}}).count, 1u);
  EXPECT_EQ(hs.at({"kswaptrace_direct_reclaim_stall_seconds", {}}).buckets[5], 1u);  // le 2.5 ms
  EXPECT_EQ(hs.at({"kswaptrace_memcg_reclaim_stall_seconds", {}}).buckets[0], 1u);
  EXPECT_EQ(c.model().counter("kswaptrace_reclaimed_pages_total", {{"kind", "direct"}}), 32);
  EXPECT_EQ(c.model().counter("kswaptrace_reclaimed_pages_total", {{"kind", "memcg"}}), 5);
}

TEST(MetricsCollector, PageAllocationsCountFromTheFirstSampleByOrderAndZone) {
  MetricsCollector c(info(), "0.1.0", 0);
  ZoneSample zs;
  zs.zones = test::SyntheticStream::normal_zones();
  c.on_event({kSec, zs});
  const int32_t normal = zs.zones.back().zid;
  AllocCounters a;
  a.cells = {{0, normal, 0, 1, 0, 1000}, {0, normal, 3, 1, 0, 10}, {0, normal, 12, 1, 0, 1}};
  c.on_event({kSec, a});  // baseline: what happened before the agent ran is not counted
  a.cells[0].calls = 1100;
  a.cells[1].calls = 15;
  a.cells[2].calls = 2;
  a.cells.push_back({0, normal, 13, 1, 0, 1});  // a new cell counts from 0
  c.on_event({2 * kSec, a});
  const MetricModel& m = c.model();
  EXPECT_EQ(m.counter("kswaptrace_page_alloc_calls_total", {{"order", "0"}}), 100);
  EXPECT_EQ(m.counter("kswaptrace_page_alloc_pages_total", {{"order", "3"}}), 40);
  EXPECT_EQ(m.counter("kswaptrace_page_alloc_calls_total", {{"order", "11+"}}), 2);
  EXPECT_EQ(m.counter("kswaptrace_page_alloc_pages_total", {{"order", "11+"}}), 4096 + 8192);
  EXPECT_EQ(m.counter("kswaptrace_page_alloc_zone_pages_total", {{"node", "0"}, {"zone", "Normal"}}),
            100 + 40 + 4096 + 8192);
}

TEST(MetricsCollector, EveryVerdictKindPerNodeAndTinyZoneHazard) {
  MetricsCollector c(info(), "0.1.0", 100 * kSec);
  test::SyntheticStream s(test::SyntheticStream::seed_zones());
  Detector det({}, info());
  for (auto& e : s.samples()) {
    det.on_event(e);
    c.on_event(e);
  }
  c.on_tick(s.now(), det.evaluate(s.now()));
  const auto& g = c.model().gauges();
  for (const auto& kind : verdict_kinds())
    EXPECT_TRUE(g.count({"kswaptrace_verdict", {{"node", "0"}, {"verdict", kind}}}));
  EXPECT_EQ((g.at({"kswaptrace_verdict", {{"node", "0"}, {"verdict", "TINY-ZONE"}}})), 1);
  EXPECT_EQ((g.at({"kswaptrace_verdict", {{"node", "0"}, {"verdict", "LIVELOCK"}}})), 0);
  EXPECT_EQ((g.at({"kswaptrace_hazard", {{"node", "0"}, {"zone", "Normal"}, {"kind", "tiny-zone"}}})), 1);
  // the hazard goes away: the series stays, at 0
  ZoneSample fine;
  fine.zones = test::SyntheticStream::normal_zones();
  c.on_event({s.now(), fine});
  c.on_tick(s.now(), {});
  EXPECT_EQ((c.model().gauges().at(
                {"kswaptrace_hazard", {{"node", "0"}, {"zone", "Normal"}, {"kind", "tiny-zone"}}})),
            0);
  EXPECT_EQ((c.model().gauges().at({"kswaptrace_zone_managed_pages", {{"node", "0"}, {"zone", "Normal"}}})),
            fine.zones.back().managed);
}

TEST(MetricsModel, OnlyContractNames) {
  MetricModel m;
  EXPECT_THROW(m.add("kswaptrace_made_up_total", {}, 1), std::logic_error);
  EXPECT_THROW(m.set("kswaptrace_kswapd_wakes_total", {}, 1), std::logic_error);  // a counter, not a gauge
  for (const auto& d : metric_descs()) EXPECT_EQ(std::string(d.name).rfind("kswaptrace_", 0), 0u) << d.name;
}

TEST(MetricsPersistence, CountersAndHistogramsContinueAcrossARestart) {
  TempDir dir;
  {
    MetricsCollector c(info(), "0.1.0", 100 * kSec);
    MetricsPublisher p(c, {dir.path, {}});
    EXPECT_FALSE(p.restored());
    c.on_event({101 * kSec, KswapdWake{0, 2, 0}});
    c.on_event({102 * kSec, KswapdSleep{0}});
    c.on_event({102 * kSec, DirectReclaim{1, "a", 0, 0, kSec, kSec + 2000000, 32, false}});
    p.publish(103 * kSec, {});
  }
  struct stat st;
  ASSERT_EQ(stat(state_path(dir.path).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  // a new run: its clock and kernel baselines start over, the counters do not
  MetricsCollector c(info(), "0.1.0", 5 * kSec);
  MetricsPublisher p(c, {dir.path, {}});
  EXPECT_TRUE(p.restored());
  EXPECT_EQ(c.model().counter("kswaptrace_kswapd_wakes_total", kNode0), 1);
  c.on_event({6 * kSec, KswapdWake{0, 2, 0}});
  c.on_event({7 * kSec, DirectReclaim{1, "a", 0, 0, kSec, kSec + 1000, 1, false}});
  p.publish(8 * kSec, {});
  EXPECT_EQ(c.model().counter("kswaptrace_kswapd_wakes_total", kNode0), 2);
  EXPECT_DOUBLE_EQ(c.model().counter("kswaptrace_kswapd_awake_seconds_total", kNode0), 3.0);  // 1 + 2 open
  const HistData& h = c.model().histograms().at({"kswaptrace_direct_reclaim_stall_seconds", {}});
  EXPECT_EQ(h.count, 2u);
  EXPECT_EQ(h.buckets[0] + h.buckets[5], 2u);
}

TEST(MetricsPersistence, StateIsSavedBeforeValuesAreExposed) {
  TempDir dir;
  MetricsCollector c(info(), "0.1.0", 0);
  double exposed_while_saved = -1;
  PublisherOptions po{dir.path, {}};
  po.exposers.push_back([&](const MetricModel& m) {
    MetricModel saved;
    saved.restore_state(slurp(state_path(dir.path)));
    exposed_while_saved = saved.counter("kswaptrace_kswapd_wakes_total", kNode0);
    EXPECT_EQ(exposed_while_saved, m.counter("kswaptrace_kswapd_wakes_total", kNode0));
  });
  MetricsPublisher p(c, po);
  c.on_event({kSec, KswapdWake{0, 2, 0}});
  p.publish(2 * kSec, {});
  EXPECT_EQ(exposed_while_saved, 1);
}

TEST(MetricsPersistence, MalformedStateIsAClearError) {
  TempDir dir;
  std::ofstream(state_path(dir.path)) << "{\"format\": \"something else\"}";
  MetricsCollector c(info(), "0.1.0", 0);
  try {
    MetricsPublisher p(c, {dir.path, {}});
    FAIL() << "accepted a foreign state file";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("metrics-state.json"), std::string::npos) << e.what();
  }
}

TEST(Textfile, AtomicReplaceLeavesNoTemporaryFiles) {
  TempDir dir;
  const std::string path = dir.path + "/kswaptrace.prom";
  write_file_atomic(path, "a 1\n");
  write_file_atomic(path, "a 2\n", false);
  EXPECT_EQ(slurp(path), "a 2\n");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"kswaptrace.prom"});
  EXPECT_THROW(write_file_atomic(dir.path + "/missing/x.prom", "a 1\n"), std::runtime_error);
}

#ifdef KST_HAVE_PROMETHEUS
TEST(PromExposition, HelpTypesBucketsAndRestoredValues) {
  MetricsCollector c(info(), "0.1.0", 0);
  c.model().restore_state(
      R"({"format":"kswaptrace-metrics-state","version":1,"buckets":[5e-05,0.0001,0.00025,0.0005,0.001,0.0025,0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10,30,60],)"
      R"("counters":[{"name":"kswaptrace_kswapd_wakes_total","labels":{"node":"0"},"value":41}],"histograms":[]})");
  c.on_event({kSec, KswapdWake{0, 2, 0}});
  c.on_event({kSec, DirectReclaim{1, "a", 0, 0, kSec, kSec + 2000000, 32, false}});
  c.on_tick(2 * kSec, {});
  PromMirror pm;
  pm.update(c.model());
  pm.update(c.model());  // idempotent: counters move by the model's change only
  const std::string t = pm.text();
  EXPECT_NE(t.find("# HELP kswaptrace_kswapd_wakes_total "), std::string::npos);
  EXPECT_NE(t.find("# TYPE kswaptrace_kswapd_wakes_total counter"), std::string::npos);
  EXPECT_NE(t.find("kswaptrace_kswapd_wakes_total{node=\"0\"} 42"), std::string::npos) << t;
  EXPECT_NE(t.find("kswaptrace_direct_reclaim_stall_seconds_bucket{le=\"0.0025\"} 1"), std::string::npos)
      << t;
  EXPECT_NE(t.find("kswaptrace_direct_reclaim_stall_seconds_bucket{le=\"0.001\"} 0"), std::string::npos) << t;
  EXPECT_NE(t.find("kswaptrace_direct_reclaim_stall_seconds_bucket{le=\"+Inf\"} 1"), std::string::npos) << t;
  EXPECT_NE(t.find("kswaptrace_build_info{backend=\"synthetic\",kernel=\"6.18.0-test\",version=\"0.1.0\"} 1"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("kswaptrace_verdict{node=\"0\",verdict=\"LIVELOCK\"} 0"), std::string::npos) << t;
}

TEST(PromEndpoint, BadAddressesAreOneLineErrors) {
  EXPECT_THROW(resolve_listen("no-port"), ListenError);
  EXPECT_THROW(resolve_listen("127.0.0.1:99999"), ListenError);
  EXPECT_THROW(resolve_listen("host.invalid:9532"), ListenError);
  EXPECT_EQ(resolve_listen("localhost:0").rfind("127.0.0.1:", 0) == 0 ||
                resolve_listen("localhost:0").rfind("[::1]:", 0) == 0,
            true);
}
#endif

}  // namespace
}  // namespace kst::metrics
