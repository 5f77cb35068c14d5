#include "core/analyzer.h"

#include <gtest/gtest.h>

#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "test_util.h"

using namespace kst;

namespace {

constexpr TimeNs kSec = 1000000000ull;

SourceInfo synthetic() {
  SourceInfo s;
  s.backend = "synthetic";
  s.kernel_release = "test";
  return s;
}

}  // namespace

TEST(KswapdTracker, EpisodesRewakesAndOpenEpisode) {
  Analyzer an(synthetic(), 0);
  an.on_event({1 * kSec, KswapdWake{0, 2, 0}});
  an.on_event({1 * kSec + 500, KswapdWake{0, 2, 0}});  // re-wake: no sleep between
  an.on_event({3 * kSec, KswapdSleep{0}});
  an.on_event({8 * kSec, KswapdWake{0, 2, 3}});  // still awake at the end
  Summary s = an.summary(10 * kSec);
  ASSERT_EQ(s.nodes.size(), 1u);
  const auto& n = s.nodes[0];
  EXPECT_EQ(n.wakes, 3u);
  EXPECT_EQ(n.sleeps, 1u);
  EXPECT_EQ(n.rewakes, 1u);
  EXPECT_EQ(n.episodes, 1u);
  EXPECT_DOUBLE_EQ(n.awake_s, 4.0);  // 2 s closed + 2 s open
  EXPECT_DOUBLE_EQ(n.duty_cycle, 0.4);
  EXPECT_TRUE(n.awake_at_end);
  EXPECT_DOUBLE_EQ(n.open_episode_s, 2.0);
  EXPECT_EQ(n.episode_us.total(), 1u);
  EXPECT_EQ(n.episode_us.max(), 2000000u);
}

TEST(KswapdTracker, SleepBeforeAnyWakeCountsFromWindowStart) {
  Analyzer an(synthetic(), 5 * kSec);
  an.on_event({6 * kSec, KswapdSleep{1}});
  Summary s = an.summary(7 * kSec);
  ASSERT_EQ(s.nodes.size(), 1u);
  EXPECT_EQ(s.nodes[0].nid, 1);
  EXPECT_DOUBLE_EQ(s.nodes[0].awake_s, 1.0);
}

TEST(Analyzer, WakeupRequestsByZoneOrder) {
  Analyzer an(synthetic(), 0);
  ZoneSample zs;
  zs.zones = parse_zoneinfo(test::data_file("proc/zoneinfo-6.18-host"));
  an.on_event({0, zs});
  for (int i = 0; i < 3; i++) an.on_event({kSec, WakeupKswapd{0, 2, 0, 0xcc0, 1, "a"}});
  an.on_event({kSec, WakeupKswapd{0, 1, 3, 0xa20, 1, "b"}});
  Summary s = an.summary(2 * kSec);
  ASSERT_EQ(s.nodes.size(), 1u);
  ASSERT_EQ(s.nodes[0].requests.size(), 2u);
  EXPECT_EQ(s.nodes[0].requests[0].zone, "Normal");
  EXPECT_EQ(s.nodes[0].requests[0].count, 3u);
  EXPECT_EQ(s.nodes[0].requests[1].zone, "DMA32");
  EXPECT_EQ(s.nodes[0].requests[1].order, 3);
}

TEST(Analyzer, DirectReclaimLatencyAndCommands) {
  Analyzer an(synthetic(), 0);
  an.on_event({2 * kSec, DirectReclaim{10, "dd", 0, 0xcc0, kSec, kSec + 300000, 32, false}});
  an.on_event({3 * kSec, DirectReclaim{11, "java", 3, 0xcc0, kSec, kSec + 5000000, 8, false}});
  an.on_event({3 * kSec, DirectReclaim{10, "dd", 0, 0xcc0, kSec, kSec + 100000, 16, true}});
  Summary s = an.summary(4 * kSec);
  EXPECT_EQ(s.direct.count, 2u);
  EXPECT_EQ(s.direct.memcg_count, 1u);
  EXPECT_EQ(s.direct.reclaimed, 40u);
  EXPECT_EQ(s.direct.memcg_reclaimed, 16u);
  EXPECT_EQ(s.direct.latency_us.total(), 2u);
  EXPECT_EQ(s.direct.latency_us_by_order.at(3).max(), 5000u);
  EXPECT_EQ(s.direct.by_comm.at("dd").count, 2u);
}

TEST(Analyzer, CountersAreWindowDeltas) {
  Analyzer an(synthetic(), 0);
  AllocCounters a0, a1;
  a0.cells = {{0, 2, 0, 1, 3, 100}, {0, 2, 3, 0, 1, 10}};
  a1.cells = {{0, 2, 0, 1, 3, 1100}, {0, 2, 3, 0, 1, 12}, {-1, -1, 9, 1, 3, 1}};
  an.on_event({0, a0});
  an.on_event({2 * kSec, a1});
  VmstatSample v0, v1;
  v0.counters = {{"pageoutrun", 5}, {"allocstall_normal", 1}, {"allocstall_dma32", 0}, {"nr_free_pages", 9}};
  v1.counters = {{"pageoutrun", 8}, {"allocstall_normal", 3}, {"allocstall_dma32", 1}, {"nr_free_pages", 1}};
  an.on_event({0, v0});
  an.on_event({2 * kSec, v1});
  ProbeCounters p0{4, 0}, p1{10, 2};
  an.on_event({0, p0});
  an.on_event({2 * kSec, p1});
  ReclaimCounters r0, r1;
  r0.nodes = {{0, {1, 100, 50}, {0, 0, 0}}};
  r1.nodes = {{0, {3, 1100, 300}, {2, 64, 32}}};
  an.on_event({0, r0});
  an.on_event({2 * kSec, r1});
  Summary s = an.summary(2 * kSec);
  EXPECT_EQ(s.alloc.total_calls, 1000u + 2u + 1u);
  EXPECT_EQ(s.alloc.total_pages, 1000u + (2u << 3) + 512u);
  EXPECT_DOUBLE_EQ(s.alloc.pages_per_s, (1000 + 16 + 512) / 2.0);
  EXPECT_EQ(s.vmstat_delta.at("pageoutrun"), 3u);
  EXPECT_EQ(s.vmstat_delta.at("allocstall_total"), 3u);
  EXPECT_EQ(s.vmstat_delta.count("nr_free_pages"), 0u);  // not a reclaim counter
  EXPECT_EQ(s.lost_events, 6u);
  EXPECT_EQ(s.reclaim_unpaired, 2u);
  ASSERT_EQ(s.nodes.size(), 1u);
  EXPECT_EQ(s.nodes[0].kswapd_shrink.scanned, 1000u);
  EXPECT_EQ(s.nodes[0].kswapd_shrink.reclaimed, 250u);
  EXPECT_DOUBLE_EQ(s.nodes[0].efficiency, 0.25);
  EXPECT_EQ(s.nodes[0].other_shrink.reclaimed, 32u);
}

TEST(Analyzer, KswapdCpuPercent) {
  Analyzer an(synthetic(), 0);
  KswapdCpuSample c0, c1;
  c0.threads = {{0, 55, 1 * kSec}};
  c1.threads = {{0, 55, 3 * kSec}};
  an.on_event({0, c0});
  an.on_event({4 * kSec, c1});
  Summary s = an.summary(4 * kSec);
  ASSERT_EQ(s.nodes.size(), 1u);
  EXPECT_TRUE(s.nodes[0].have_cpu);
  EXPECT_DOUBLE_EQ(s.nodes[0].cpu_pct, 50.0);
}

// The JSON shape is a contract (docs/output.md, the VM harness, scripts).
TEST(JsonReport, ShapeHasDocumentedKeys) {
  Analyzer an(synthetic(), 0);
  ZoneSample zs;
  zs.zones = parse_zoneinfo(test::data_file("proc/zoneinfo-6.18-host"));
  zs.min_free_kbytes = 67584;
  an.on_event({0, zs});
  an.on_event({kSec, KswapdWake{0, 2, 0}});
  an.on_event({2 * kSec, KswapdSleep{0}});
  an.on_event({0, AllocCounters{}});
  an.on_event({kSec, AllocCounters{{{0, 2, 0, 1, 3, 7}}}});
  auto j = to_json(an.summary(3 * kSec));
  for (const char* k : {"version", "duration_s", "lost_events", "nodes", "direct_reclaim", "memcg_reclaim",
                        "page_alloc", "zones", "hazards", "attach", "degraded"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["nodes"][0]["nid"], 0);
  EXPECT_EQ(j["nodes"][0]["kswapd"]["wakes"], 1);
  EXPECT_EQ(j["nodes"][0]["kswapd"]["sleeps"], 1);
  EXPECT_EQ(j["nodes"][0]["kswapd"]["episode_length"]["count"], 1);
  EXPECT_EQ(j["direct_reclaim"]["count"], 0);
  EXPECT_EQ(j["page_alloc"]["total_pages"], 7);
  EXPECT_EQ(j["page_alloc"]["by_zone"][0]["zone"], "node0/Normal");
  EXPECT_EQ(j["zones"].size(), 5u);
  EXPECT_EQ(j["zones"][2]["zone"], "Normal");
  EXPECT_EQ(j["zones"][2]["managed"], 950272);
  EXPECT_TRUE(j["hazards"].is_array());
}

TEST(TextReport, ShowsTablesAndHazards) {
  Analyzer an(synthetic(), 0);
  ZoneSample zs;
  ZoneInfo dma32, normal;
  dma32.name = "DMA32";
  dma32.zid = 1;
  dma32.present = dma32.managed = 241000;
  dma32.min = 2100;
  normal.name = "Normal";
  normal.zid = 2;
  normal.present = 32768;
  normal.managed = 9;
  zs.zones = {dma32, normal};
  an.on_event({0, zs});
  an.on_event({kSec, DirectReclaim{10, "dd", 0, 0xcc0, kSec, kSec + 300000, 32, false}});
  const std::string t = render_text(an.summary(2 * kSec));
  EXPECT_NE(t.find("kswapd (per node)"), std::string::npos);
  EXPECT_NE(t.find("direct reclaim: 1 episodes, 32 pages reclaimed"), std::string::npos);
  EXPECT_NE(t.find("256 -> 511"), std::string::npos) << t;  // 300 us
  EXPECT_NE(t.find("[critical] tiny-zone"), std::string::npos) << t;
  EXPECT_NE(t.find("page allocations: not traced"), std::string::npos);
}
