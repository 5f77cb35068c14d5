// The detector against synthetic event + /proc streams with a controlled
// clock: the patterns it must name, and the ones it must not alarm on.
#include "core/detector.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "synthetic_stream.h"

using namespace kst;
using kst::test::kSec;
using kst::test::Second;
using kst::test::SyntheticStream;

namespace {

SourceInfo kernel(const char* release) {
  SourceInfo s;
  s.backend = "synthetic";
  s.kernel_release = release;
  return s;
}

// Feeds a stream second by second and remembers when each verdict was
// first raised and whether it was ever active.
struct Drive {
  Detector det;
  SyntheticStream ss;
  std::map<std::string, TimeNs> first_raised;
  std::map<std::string, Verdict> last;  // last active verdict of each kind
  std::set<std::string> active;         // kinds active after the last second

  bool no_cpu = false;  // drop the kswapd CPU samples (no /proc/<pid>/stat)

  Drive(std::vector<ZoneInfo> zones, const char* release, bool per_zone = false, DetectorConfig cfg = {})
      : det(cfg, kernel(release)), ss(std::move(zones), 100 * kSec, per_zone) {
    for (auto& e : ss.samples()) det.on_event(e);
    det.evaluate(ss.now());
  }
  void feed_samples() {
    for (auto& e : ss.samples())
      if (!no_cpu || !std::holds_alternative<KswapdCpuSample>(e.data)) det.on_event(e);
  }
  void seconds(int n, const Second& s) {
    for (int i = 0; i < n; i++) {
      ss.events(s, [&](const Event& e) { det.on_event(e); });
      feed_samples();
      active.clear();
      for (const Verdict& v : det.evaluate(ss.now())) {
        first_raised.try_emplace(v.kind, ss.now());
        last[v.kind] = v;
        active.insert(v.kind);
      }
    }
  }
  bool ever(const std::string& kind) const { return first_raised.count(kind) > 0; }
  bool any_alert_ever() const {
    for (const auto& [k, v] : last)
      if (v.alert) return true;
    return false;
  }
};

// 4.4 tiny-zone livelock (research A2): one pass after another, no sleep,
// ~0 reclaimed, every pass "hit quickly", node-wide slab shrinking.
Second livelock44() {
  Second s;
  s.wakes = 300;
  s.cpu = 0.99;
  s.scanned = 3;
  s.reclaimed = 0;
  s.quick = 300;
  s.slabs = 60000;
  return s;
}

Second idle() { return Second{}; }

}  // namespace

TEST(Detector, KernelVersion) {
  EXPECT_EQ(kernel_version("4.4.0-98-generic"), (std::pair<int, int>{4, 4}));
  EXPECT_EQ(kernel_version("6.12.117+deb13-amd64"), (std::pair<int, int>{6, 12}));
  EXPECT_EQ(kernel_version("test"), (std::pair<int, int>{0, 0}));
  EXPECT_EQ(verdict_key("FUTILE-RECLAIM"), "futile");
  EXPECT_EQ(verdict_key("LIVELOCK"), "livelock");
  EXPECT_EQ(verdict_key("TINY-ZONE"), "tiny-zone");
  EXPECT_EQ(verdict_key("HIGH-ORDER-CHURN"), "churn");
}

TEST(Detector, TinyZoneLivelockOn44WithinThirtySeconds) {
  Drive r(SyntheticStream::seed_zones(), "4.4.0-98-generic", /*per_zone=*/true);
  r.seconds(60, idle());
  // the zone shape is flagged before anything happens, critical on a 4.4 kernel
  ASSERT_TRUE(r.active.count("TINY-ZONE"));
  EXPECT_EQ(r.last["TINY-ZONE"].severity, "critical");
  EXPECT_FALSE(r.ever("LIVELOCK"));

  const TimeNs onset = r.ss.now();
  r.seconds(60, livelock44());
  ASSERT_TRUE(r.ever("LIVELOCK"));
  const double latency = (r.first_raised["LIVELOCK"] - onset) / 1e9;
  RecordProperty("livelock_alert_latency_s", std::to_string(latency));
  std::printf("LIVELOCK alert latency with defaults: %.0f s after onset\n", latency);
  EXPECT_LE(latency, 30.0);
  const Verdict& v = r.last["LIVELOCK"];
  EXPECT_EQ(v.severity, "critical");
  EXPECT_EQ(v.since, onset);  // onset = the wake that started the endless episode
  EXPECT_NE(v.message.find("Normal has 9 managed of 32768 present"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("hit_quickly"), std::string::npos);
  EXPECT_GE(v.evidence.at("cpu_pct"), 90);
  EXPECT_LT(v.evidence.at("reclaimed_per_pass"), 1);
  EXPECT_DOUBLE_EQ(v.evidence.at("zone_managed"), 9);
  EXPECT_FALSE(r.active.count("FUTILE-RECLAIM"));
  EXPECT_FALSE(r.active.count("HEALTHY-RECLAIM"));

  // kswapd finally sleeps: the verdict clears after clear_s
  r.seconds(5, Second{.wakes = 1, .sleeps = 1, .duty = 0.1});
  EXPECT_TRUE(r.active.count("LIVELOCK"));  // still within clear_s
  r.seconds(10, idle());
  EXPECT_FALSE(r.active.count("LIVELOCK"));
  EXPECT_TRUE(r.active.count("TINY-ZONE"));
}

TEST(Detector, LivelockIsPendingBeforeTheHoldTime) {
  Drive r(SyntheticStream::seed_zones(), "4.4.0-98-generic", true);
  r.seconds(10, livelock44());
  EXPECT_FALSE(r.ever("LIVELOCK"));
  bool pending = false;
  for (const auto& v : r.det.pending()) pending |= v.kind == "LIVELOCK" && v.pending && v.raised == 0;
  EXPECT_TRUE(pending);
}

TEST(Detector, TinyZoneEscalatesWithoutCpuTime) {
  // no kswapd CPU sample (thread not found): quick-hit + slab + pass rate stand in
  Drive r(SyntheticStream::seed_zones(), "4.4.0-98-generic", true);
  Second s = livelock44();
  s.cpu = 0;  // the stream still sends CPU samples; zero CPU must not hide the tiny-zone spin
  r.seconds(40, s);
  EXPECT_TRUE(r.ever("LIVELOCK"));
}

TEST(Detector, LivelockWithoutKswapdTracepoints) {
  // degraded source: no kswapd_wake/sleep; awake is estimated from activity
  Detector det({}, kernel("4.4.0-98-generic"));
  SyntheticStream ss(SyntheticStream::seed_zones(), 100 * kSec, true);
  for (auto& e : ss.samples()) det.on_event(e);
  det.evaluate(ss.now());
  TimeNs raised = 0;
  const TimeNs onset = ss.now();
  for (int i = 0; i < 60 && !raised; i++) {
    ss.events(livelock44(), [](const Event&) {});  // tracepoint events are lost
    for (auto& e : ss.samples()) det.on_event(e);
    for (const auto& v : det.evaluate(ss.now()))
      if (v.kind == "LIVELOCK") raised = ss.now();
  }
  ASSERT_NE(raised, 0u);
  EXPECT_LE((raised - onset) / 1e9, 30.0);
}

TEST(Detector, FutileReclaimWithHopelessNodeToggling) {
  // 4.12+: kswapd busy for long, scanning hard, stealing ~nothing, and the
  // node flips in and out of node_unreclaimable as direct reclaim succeeds
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  r.seconds(30, idle());
  Second s;
  s.wakes = 20;
  s.cpu = 0.30;
  s.scanned = 20000;
  s.reclaimed = 15;
  s.direct = 5;
  s.allocstall = 5;
  const TimeNs onset = r.ss.now();
  for (int k = 0; k < 6; k++) {
    s.unreclaimable = k % 2;
    r.seconds(10, s);
  }
  ASSERT_TRUE(r.ever("FUTILE-RECLAIM"));
  EXPECT_LE((r.first_raised["FUTILE-RECLAIM"] - onset) / 1e9, 30.0);
  EXPECT_FALSE(r.ever("LIVELOCK"));  // 30 % CPU is not a spin
  const Verdict& v = r.last["FUTILE-RECLAIM"];
  EXPECT_EQ(v.severity, "warning");
  EXPECT_GE(v.evidence.at("unreclaimable_toggles"), 3);
  EXPECT_LT(v.evidence.at("efficiency"), 0.01);
  EXPECT_NE(v.message.find("node_unreclaimable flipped"), std::string::npos) << v.message;
  EXPECT_FALSE(r.active.count("HEALTHY-RECLAIM"));
}

TEST(Detector, FutileReclaimHighWatermarkGap) {
  // research A4b: vm.watermark_scale_factor=1000 + hot anon working set:
  // kswapd awake 27-45 s at 19-34 % CPU, ~1000 of 1.2 M pages stolen
  Drive r(SyntheticStream::normal_zones(), "6.12.117-amd64");
  Second s;
  s.wakes = 8;
  s.cpu = 0.25;
  s.scanned = 20000;
  s.reclaimed = 17;
  const TimeNs onset = r.ss.now();
  r.seconds(35, s);
  ASSERT_TRUE(r.ever("FUTILE-RECLAIM"));
  const double latency = (r.first_raised["FUTILE-RECLAIM"] - onset) / 1e9;
  RecordProperty("futile_alert_latency_s", std::to_string(latency));
  std::printf("FUTILE-RECLAIM alert latency with defaults: %.0f s after onset\n", latency);
  EXPECT_LE(latency, 30.0);
  EXPECT_EQ(r.last["FUTILE-RECLAIM"].since, onset);
  EXPECT_FALSE(r.ever("LIVELOCK"));
  // cleared once the window no longer sees the futile seconds (window_s) plus clear_s
  r.seconds(15, Second{.wakes = 1, .sleeps = 1, .duty = 0.05});
  EXPECT_FALSE(r.active.count("FUTILE-RECLAIM"));
}

// Issue 23, measured in Xen PV domUs on 6.12 (MGLRU on): kswapd awake 76-79 s
// at ~27 % CPU, ~6,600 pages stolen in all (~85 pages/s), pgscan_kswapd 7-9k:
// it scans little, and what it isolates it mostly reclaims (60-97 %), so the
// scan path (>= 1000 scanned/s at < 10 %) never fires. Its CPU goes into aging.
Second mglru_futile() {
  Second s;
  s.wakes = 1;
  s.cpu = 0.27;
  s.scanned = 110;
  s.reclaimed = 85;
  return s;
}

TEST(Detector, MglruFutileReclaimIsNamedByItsYieldPerCpuSecond) {
  Drive r(SyntheticStream::normal_zones(), "6.12.118+deb12-amd64");
  for (auto& z : r.ss.zones()) z.free = (z.min + z.high) / 2;
  r.seconds(30, idle());
  const TimeNs onset = r.ss.now();
  r.seconds(78, mglru_futile());
  ASSERT_TRUE(r.ever("FUTILE-RECLAIM"));
  const double latency = (r.first_raised["FUTILE-RECLAIM"] - onset) / 1e9;
  std::printf("MGLRU FUTILE-RECLAIM alert latency with defaults: %.0f s after onset\n", latency);
  EXPECT_LE(latency, 30.0);
  const Verdict& v = r.last["FUTILE-RECLAIM"];
  EXPECT_EQ(v.since, onset);
  EXPECT_DOUBLE_EQ(v.evidence.at("by_yield"), 1);
  EXPECT_DOUBLE_EQ(v.evidence.at("by_scan"), 0);
  EXPECT_NEAR(v.evidence.at("reclaimed_per_cpu_s"), 85 / 0.27, 1);
  EXPECT_GT(v.evidence.at("efficiency"), 0.6);  // what fooled the scan rule
  EXPECT_NE(v.message.find("per CPU-second"), std::string::npos) << v.message;
  // never called healthy, not even before the futile verdict came up
  EXPECT_FALSE(r.ever("HEALTHY-RECLAIM"));
  EXPECT_FALSE(r.ever("LIVELOCK"));
  // kswapd sleeps: cleared after the window and clear_s
  r.seconds(40, Second{.wakes = 1, .sleeps = 1, .duty = 0.05});
  EXPECT_FALSE(r.active.count("FUTILE-RECLAIM"));
}

TEST(Detector, MglruFutileWithoutCpuTimeFallsBackToYieldPerAwakeSecond) {
  Drive r(SyntheticStream::normal_zones(), "6.12.118+deb12-amd64");
  r.no_cpu = true;
  const TimeNs onset = r.ss.now();
  r.seconds(60, mglru_futile());
  ASSERT_TRUE(r.ever("FUTILE-RECLAIM"));
  EXPECT_LE((r.first_raised["FUTILE-RECLAIM"] - onset) / 1e9, 30.0);
  const Verdict& v = r.last["FUTILE-RECLAIM"];
  EXPECT_DOUBLE_EQ(v.evidence.at("cpu_pct"), -1);
  EXPECT_DOUBLE_EQ(v.evidence.at("reclaimed_per_cpu_s"), -1);
  EXPECT_NEAR(v.evidence.at("reclaimed_per_awake_s"), 85, 1);
  EXPECT_NE(v.message.find("per second awake"), std::string::npos) << v.message;
  EXPECT_FALSE(r.ever("HEALTHY-RECLAIM"));
}

TEST(Detector, MglruFutileNeedsTheAwakeStretch) {
  // the same yield in a kswapd that keeps going back to sleep (awake 40 % of
  // the time) is not an awake stretch that buys nothing
  Drive r(SyntheticStream::normal_zones(), "6.12.118+deb12-amd64");
  Second s = mglru_futile();
  s.wakes = 2;
  s.sleeps = 2;
  s.duty = 0.4;
  r.seconds(90, s);
  EXPECT_FALSE(r.ever("FUTILE-RECLAIM"));
}

TEST(Detector, ProductiveReclaimAtTcgSpeedIsNotFutile) {
  // the slowest productive kswapd measured (docs/detection.md, calibration:
  // healthy-reclaim on 6.1 under TCG, swapping to zram: 657 pages per
  // CPU-second, ~600 per awake second), kept awake for two minutes
  for (bool no_cpu : {false, true}) {
    Drive r(SyntheticStream::normal_zones(), "6.12.118+deb12-amd64");
    r.no_cpu = no_cpu;
    Second s;
    s.wakes = 1;
    s.cpu = 0.91;
    s.scanned = 4200;
    s.reclaimed = 600;
    r.seconds(120, s);
    EXPECT_FALSE(r.ever("FUTILE-RECLAIM")) << "no_cpu " << no_cpu;
    EXPECT_TRUE(r.ever("HEALTHY-RECLAIM")) << "no_cpu " << no_cpu;
  }
}

TEST(Detector, IdleKswapdCpuIsNotFutile) {
  // awake for long but nearly idle (throttled): below the CPU floor its time
  // costs nothing, and the per-CPU-second yield is not judged
  Drive r(SyntheticStream::normal_zones(), "6.12.118+deb12-amd64");
  Second s = mglru_futile();
  s.cpu = 0.03;
  s.reclaimed = 2;
  s.scanned = 3;
  r.seconds(90, s);
  EXPECT_FALSE(r.ever("FUTILE-RECLAIM"));
}

TEST(Detector, FutileWithEfficiencyCrossingTenPercentIsNamedWithinThirtySeconds) {
  // `xen-domu-futile` on 6.1 (1 vCPU domU), watch's 1 s status lines: the 5 s
  // efficiency crosses 10 % at 9-10 s and the scan rate drops below 1000/s at
  // 21-23 s, each restarting the scan path's 20 s hold (raised at 30.6 s, one
  // test run late); the efficiency over the 20 s window stays below 10 %
  const int scan[] = {1400, 2800, 3200, 4800, 10800, 10800, 9800, 10000, 7700, 2500, 8400, 9600, 9900, 9900,
                      8600, 2200, 2100, 1700, 1500,  250,   280,  460,   960,  1600, 2300, 5400, 6600, 6700};
  const int recl[] = {160, 150, 160, 130, 370, 450, 490, 790, 920, 740, 610, 410, 90, 90,
                      5,   50,  160, 160, 150, 220, 220, 90,  80,  35,  30,  0,   0,  0};
  Drive r(SyntheticStream::normal_zones(), "6.1.0-57-amd64");
  for (auto& z : r.ss.zones()) z.free = (z.min + z.low) / 2;
  r.seconds(10, idle());
  const TimeNs onset = r.ss.now();
  for (size_t i = 0; i < std::size(scan); i++)
    r.seconds(1, Second{.wakes = 1,
                        .cpu = 0.33,
                        .scanned = static_cast<uint64_t>(scan[i]),
                        .reclaimed = static_cast<uint64_t>(recl[i])});
  Second tail{.wakes = 1, .cpu = 0.37, .scanned = 8000, .reclaimed = 2};
  r.seconds(20, tail);
  ASSERT_TRUE(r.ever("FUTILE-RECLAIM"));
  const double latency = (r.first_raised["FUTILE-RECLAIM"] - onset) / 1e9;
  std::printf("FUTILE-RECLAIM (efficiency crossing 10 %%) latency: %.0f s after onset\n", latency);
  EXPECT_LE(latency, 26.0);
  EXPECT_DOUBLE_EQ(r.last["FUTILE-RECLAIM"].evidence.at("by_yield"), 1);
  EXPECT_FALSE(r.ever("LIVELOCK"));
}

TEST(Detector, HighOrderChurn) {
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  Second s;
  s.wakes = 30;
  s.sleeps = 30;
  s.duty = 0.1;
  s.cpu = 0.05;
  s.scanned = 3000;
  s.reclaimed = 2500;
  s.high_order_requests = 30;
  s.order = 3;
  r.seconds(40, s);
  ASSERT_TRUE(r.ever("HIGH-ORDER-CHURN"));
  const Verdict& v = r.last["HIGH-ORDER-CHURN"];
  EXPECT_NE(v.message.find("order-3"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("iperf3"), std::string::npos);
  EXPECT_DOUBLE_EQ(v.evidence.at("top_order"), 3);
  EXPECT_FALSE(r.ever("LIVELOCK"));
  EXPECT_FALSE(r.ever("FUTILE-RECLAIM"));
}

TEST(Detector, MustNotAlertOnHeavyProductiveReclaim) {
  // research A4b ranges, pushed: kswapd nearly always awake, CPU up to 80 %,
  // 300-2700 pages per pass, for 5 minutes
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  for (int k = 0; k < 30; k++) {
    Second busy;
    busy.wakes = 50;
    busy.cpu = k % 3 ? 0.25 : 0.8;
    busy.scanned = 60000;
    busy.reclaimed = 40000;
    busy.allocstall = 20;
    busy.direct = 20;
    busy.refault = 3000;
    r.seconds(9, busy);
    r.seconds(1,
              Second{.wakes = 10, .sleeps = 2, .duty = 0.5, .cpu = 0.2, .scanned = 8000, .reclaimed = 6000});
  }
  EXPECT_FALSE(r.any_alert_ever()) << (r.last.empty() ? "" : r.last.begin()->second.kind);
  EXPECT_TRUE(r.ever("HEALTHY-RECLAIM"));
  EXPECT_FALSE(r.last["HEALTHY-RECLAIM"].alert);
}

TEST(Detector, MustNotAlertOnShortBurstAfterBoot) {
  // right after start-up: no history, kswapd busy and unproductive for 15 s
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  Second burst = livelock44();
  burst.scanned = 30000;
  burst.reclaimed = 100;
  r.seconds(15, burst);
  r.seconds(1, Second{.wakes = 1, .sleeps = 1, .duty = 0.2});
  r.seconds(60, idle());
  EXPECT_FALSE(r.any_alert_ever());
}

TEST(Detector, MustNotAlertOnMemcgLimitReclaim) {
  // a cgroup at memory.max reclaims for itself: direct/memcg only, kswapd asleep
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  Second s;
  s.memcg = 200;
  s.direct_scanned = 50000;
  s.direct_reclaimed = 30000;
  s.refault = 100;
  r.seconds(120, s);
  EXPECT_TRUE(r.first_raised.empty());
  EXPECT_TRUE(r.det.pending().empty());
  ASSERT_EQ(r.det.status().size(), 1u);
  EXPECT_FALSE(r.det.status()[0].awake);
  EXPECT_GT(r.det.status()[0].memcg_per_s, 100);
}

TEST(Detector, SeedShapeOnModernKernelIsANoticeNotALivelock) {
  // research A4b: the seed's zone on 6.1/6.12 does not make kswapd spin
  Drive r(SyntheticStream::seed_zones(), "6.1.0-26-amd64");
  Second s;
  s.wakes = 20;
  s.sleeps = 4;
  s.duty = 0.7;
  s.cpu = 0.15;
  s.scanned = 8000;
  s.reclaimed = 6000;
  r.seconds(90, s);
  ASSERT_TRUE(r.active.count("TINY-ZONE"));
  EXPECT_EQ(r.last["TINY-ZONE"].severity, "notice");
  EXPECT_NE(r.last["TINY-ZONE"].message.find("balances per node"), std::string::npos);
  EXPECT_FALSE(r.ever("LIVELOCK"));
  EXPECT_FALSE(r.ever("FUTILE-RECLAIM"));
}

TEST(Detector, ThrashingIsNamed) {
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  Second s;
  s.wakes = 40;
  s.cpu = 0.3;
  s.scanned = 30000;
  s.reclaimed = 20000;
  s.refault = 15000;
  r.seconds(40, s);
  EXPECT_TRUE(r.ever("THRASHING"));
  EXPECT_FALSE(r.active.count("HEALTHY-RECLAIM"));  // hidden by the stronger verdict
}

TEST(Detector, WindowMetrics) {
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  Second s;
  s.wakes = 10;
  s.cpu = 0.5;
  s.scanned = 1000;
  s.reclaimed = 250;
  s.quick = 5;
  s.slabs = 3000;
  s.allocstall = 2;
  r.seconds(10, s);
  ASSERT_EQ(r.det.status().size(), 1u);
  const NodeStatus& st = r.det.status()[0];
  EXPECT_DOUBLE_EQ(st.window_s, 5);
  EXPECT_TRUE(st.awake);
  EXPECT_DOUBLE_EQ(st.awake_s, 10);
  EXPECT_DOUBLE_EQ(st.duty, 1);
  EXPECT_NEAR(st.cpu, 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(st.runs_per_s, 10);
  EXPECT_DOUBLE_EQ(st.scanned_per_s, 1000);
  EXPECT_DOUBLE_EQ(st.eff, 0.25);
  EXPECT_DOUBLE_EQ(st.steal_per_run, 25);
  EXPECT_DOUBLE_EQ(st.quick, 0.5);
  EXPECT_DOUBLE_EQ(st.slab_per_lru, 3);
  EXPECT_DOUBLE_EQ(st.allocstall_per_s, 2);
  EXPECT_TRUE(st.big_zone_balanced);
}

TEST(Detector, CpuSpinLivelockWithoutTinyZoneWithinThirtySeconds) {
  // the generic rule (no zone to blame): awake, >= 70 % CPU, nothing reclaimed
  // per pass, while DMA32/Normal sit above their high watermarks
  Drive r(SyntheticStream::normal_zones(), "4.9.0-3-amd64");
  r.seconds(30, idle());
  const TimeNs onset = r.ss.now();
  Second s = livelock44();
  s.quick = 0;  // no quick-hit help: the CPU window alone must carry it
  s.slabs = 0;
  r.seconds(40, s);
  ASSERT_TRUE(r.ever("LIVELOCK"));
  const double latency = (r.first_raised["LIVELOCK"] - onset) / 1e9;
  RecordProperty("livelock_cpu_path_latency_s", std::to_string(latency));
  std::printf("LIVELOCK (CPU path) alert latency with defaults: %.0f s after onset\n", latency);
  EXPECT_LE(latency, 30.0);
  EXPECT_EQ(r.last["LIVELOCK"].message.find("LP#1518457"), std::string::npos);
  EXPECT_NE(r.last["LIVELOCK"].message.find("pointless"), std::string::npos);
}

namespace {

// Two nodes; node 1's kswapd spins. `shrink_calls`: whether lru_shrink_inactive
// fires (false = MGLRU: no per-node measure of reclaim progress).
std::vector<Verdict> two_nodes(bool shrink_calls) {
  Detector det({}, kernel("6.1.0-26-amd64"));
  std::vector<ZoneInfo> zones = SyntheticStream::normal_zones();
  for (auto z : SyntheticStream::normal_zones()) {
    z.nid = 1;
    zones.push_back(z);
  }
  std::vector<Verdict> out;
  uint64_t cpu1 = 0, calls = 0, pgsteal = 0;
  for (int sec = 0; sec <= 60; sec++) {
    const TimeNs t = (100 + sec) * kSec;
    if (sec > 0)
      for (int i = 0; i < 100; i++) det.on_event({t - kSec + i * kSec / 100, KswapdWake{1, 2, 0}});
    cpu1 += sec > 0 ? 9 * kSec / 10 : 0;
    calls += shrink_calls && sec > 0 ? 100 : 0;
    pgsteal += 50000;  // node 0 (say) reclaims plenty: system-wide vmstat looks healthy
    ZoneSample zs;
    zs.zones = zones;
    det.on_event({t, zs});
    ReclaimCounters rc;
    rc.nodes = {{0, {}, {}}, {1, {calls, calls * 2, 0}, {}}};
    det.on_event({t, rc});
    VmstatSample v;
    v.counters = {{"pageoutrun", 100ull * sec}, {"pgscan_kswapd", pgsteal * 2}, {"pgsteal_kswapd", pgsteal}};
    det.on_event({t, v});
    KswapdCpuSample cpu;
    cpu.threads = {{0, 40, 0}, {1, 41, cpu1}};
    det.on_event({t, cpu});
    for (const auto& x : det.evaluate(t)) out.push_back(x);
  }
  return out;
}

}  // namespace

TEST(Detector, MultiNodeUsesPerNodeEvidenceOnly) {
  bool node1 = false, node0 = false;
  for (const auto& v : two_nodes(true)) {
    node1 |= v.kind == "LIVELOCK" && v.nid == 1;
    node0 |= v.nid == 0 && v.alert;
  }
  EXPECT_TRUE(node1);   // lru_shrink_inactive on node 1: passes reclaim nothing
  EXPECT_FALSE(node0);  // node 0's kswapd is asleep
  // MGLRU: no per-node reclaim measure, and system-wide vmstat is not node 1's: no verdict
  for (const auto& v : two_nodes(false)) EXPECT_NE(v.kind, "LIVELOCK");
}

TEST(Detector, MeasuredFutileRunOn612IsNotALivelock) {
  // the VM harness's futile-reclaim run on 6.12 (docs/testing.md): 159 passes in
  // 61 s, 85 % CPU (TCG, loaded host), 4.39 M scanned, 47 766 stolen (1.1 %),
  // free held between min and low, no allocation stalls
  Drive r(SyntheticStream::normal_zones(), "6.12.117+deb12-amd64");
  for (auto& z : r.ss.zones()) z.free = (z.min + z.low) / 2;
  Second s;
  s.wakes = 3;
  s.cpu = 0.85;
  s.scanned = 72000;
  s.reclaimed = 783;
  const TimeNs onset = r.ss.now();
  r.seconds(61, s);
  EXPECT_FALSE(r.ever("LIVELOCK"));
  ASSERT_TRUE(r.ever("FUTILE-RECLAIM"));
  EXPECT_LE((r.first_raised["FUTILE-RECLAIM"] - onset) / 1e9, 30.0);
  EXPECT_GT(r.last["FUTILE-RECLAIM"].evidence.at("cpu_pct"), 80);
}

TEST(Detector, MeasuredFutileRunOn61IsNotALivelock) {
  // the VM harness's futile-reclaim run on 6.1 (docs/testing.md): kswapd awake
  // the whole 60 s at 77-81 % CPU, 4.9 passes/s, 2.4 pages per pass, every pass
  // hit quickly, free between min and low, no allocation stalls
  Drive r(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  for (auto& z : r.ss.zones()) z.free = (z.min + z.low) / 2;
  Second s;
  s.wakes = 5;
  s.quick = 5;
  s.cpu = 0.79;
  s.scanned = 40000;
  s.reclaimed = 12;
  r.seconds(60, s);
  EXPECT_FALSE(r.ever("LIVELOCK"));
  EXPECT_TRUE(r.ever("FUTILE-RECLAIM"));
  // the same kswapd while a big zone sits above its high watermark is the spin
  Drive spin(SyntheticStream::normal_zones(), "6.1.0-26-amd64");
  spin.seconds(60, s);
  EXPECT_TRUE(spin.ever("LIVELOCK"));
}

TEST(VerdictChanges, ReportsClearedThenRaisedOncePerNodeAndKind) {
  auto v = [](int nid, const char* kind) {
    Verdict x;
    x.nid = nid;
    x.kind = kind;
    return x;
  };
  VerdictChanges c;
  auto ch = c.update({v(0, "TINY-ZONE"), v(1, "LIVELOCK")});
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_TRUE(ch[0].raised && ch[1].raised);
  EXPECT_TRUE(c.update({v(0, "TINY-ZONE"), v(1, "LIVELOCK")}).empty());  // unchanged: nothing
  ch = c.update({v(0, "TINY-ZONE"), v(0, "LIVELOCK")});                  // node 1's cleared, node 0's raised
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_FALSE(ch[0].raised);
  EXPECT_EQ(ch[0].verdict.nid, 1);
  EXPECT_TRUE(ch[1].raised);
  EXPECT_EQ(ch[1].verdict.nid, 0);
  EXPECT_EQ(ch[1].verdict.kind, "LIVELOCK");
  ch = c.update({});
  EXPECT_EQ(ch.size(), 2u);
  for (const auto& x : ch) EXPECT_FALSE(x.raised);
}

TEST(VerdictsInForce, KeepsTheRaisedOnesNotClearedSince) {
  auto c = [](bool raised, int nid, const char* kind) {
    VerdictChange x;
    x.raised = raised;
    x.verdict.nid = nid;
    x.verdict.kind = kind;
    return x;
  };
  VerdictsInForce f;
  f.on(c(true, 0, "TINY-ZONE"));
  f.on(c(true, 0, "LIVELOCK"));
  f.on(c(false, 0, "LIVELOCK"));
  f.on(c(true, 1, "FUTILE-RECLAIM"));
  auto v = f.take();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].verdict.kind, "TINY-ZONE");
  EXPECT_EQ(v[1].verdict.nid, 1);
  EXPECT_TRUE(f.take().empty());  // taken once
}

// Issue 23: a balloon block onlining on 6.12 shows the seed's shape for a
// moment (present 32768, managed 0, then growing). That is no TINY-ZONE: the
// hazard waits until the zone has been stable ZoneSettling's delay (5 s).
TEST(Detector, TinyZoneWaitsUntilTheZoneSettles) {
  std::vector<ZoneInfo> zones = SyntheticStream::normal_zones();
  Drive r(zones, "6.12.118+deb12-amd64");
  r.seconds(5, idle());
  ASSERT_FALSE(r.ever("TINY-ZONE"));
  std::vector<ZoneInfo>& zs = r.ss.zones();
  ZoneInfo grown = SyntheticStream::seed_zones().back();  // Normal: 9 managed of 32768 present
  grown.nid = 0;
  grown.zid = static_cast<int32_t>(zs.size());
  grown.name = "Movable";
  grown.managed = 0;
  zs.push_back(grown);
  ZoneInfo& z = zs.back();
  for (uint64_t managed : {0, 0, 512, 4096, 16384}) {  // onlining, one step a second
    z.managed = managed;
    z.free = managed;
    r.seconds(1, idle());
  }
  EXPECT_FALSE(r.ever("TINY-ZONE")) << "raised while the zone was still onlining";
  z.managed = 32768;
  z.free = 30000;
  r.seconds(10, idle());
  EXPECT_FALSE(r.ever("TINY-ZONE")) << "the settled zone is not tiny";

  // the same zone, stuck at 9 managed (the balloon stopped): raised once stable 5 s
  z.managed = 9;
  z.free = 9;
  r.seconds(4, idle());
  EXPECT_FALSE(r.ever("TINY-ZONE"));
  r.seconds(3, idle());
  EXPECT_TRUE(r.ever("TINY-ZONE"));
}

TEST(ZoneSettling, FirstSampleIsSettledLaterChangesSettleAfterTheDelay) {
  ZoneSettling zs(5 * kSec);
  std::vector<ZoneInfo> zones = SyntheticStream::normal_zones();
  zs.on(10 * kSec, zones);
  EXPECT_TRUE(zs.settling_zones(10 * kSec).empty());  // nothing says the first sample is moving
  zones.back().managed -= 1;
  zs.on(11 * kSec, zones);
  ASSERT_EQ(zs.settling_zones(11 * kSec).size(), 1u);
  EXPECT_EQ(zs.settling_zones(11 * kSec)[0].zone, zones.back().name);
  EXPECT_TRUE(zs.settling(0, zones.back().name, 15 * kSec));
  EXPECT_FALSE(zs.settling(0, zones.back().name, 16 * kSec));
  // a zone that appears after the first sample changed then
  ZoneInfo fresh = zones.back();
  fresh.name = "Movable";
  zones.push_back(fresh);
  zs.on(20 * kSec, zones);
  EXPECT_TRUE(zs.settling(0, "Movable", 20 * kSec));
  // hazards on it wait, as do node-wide ones (no zone) of its node; others stay
  Hazard a{.kind = "tiny-zone", .severity = "warning", .nid = 0, .zone = "Movable"};
  Hazard b{.kind = "hopeless-node", .severity = "warning", .nid = 0, .zone = ""};
  Hazard c{.kind = "tiny-zone", .severity = "warning", .nid = 1, .zone = "Movable"};
  const std::vector<Hazard> kept = zs.settled_only({a, b, c}, 21 * kSec);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].nid, 1);
  EXPECT_EQ(zs.settled_only({a, b, c}, 25 * kSec).size(), 3u);
}
