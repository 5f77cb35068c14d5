// Watermark simulator, GFP tables, failure-report parser and the explain
// command, against the seed's worked example and real reports.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "core/failure_report.h"
#include "core/gfp.h"
#include "core/watermark_check.h"
#include "sources/procfs/procfs.h"

using namespace kst;

namespace {

KernelVersion kv(int a, int b) { return KernelVersion{a, b}; }

std::set<std::string> names(uint64_t mask, KernelVersion v) {
  auto g = decode_gfp(mask, gfp_era_for(v));
  return {g.names.begin(), g.names.end()};
}

std::set<std::string> split(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  std::string t;
  while (std::getline(ss, t, '|')) out.insert(t);
  return out;
}

// The DMA32 zone of seed 003, in pages.
WmZone seed_dma32() {
  WmZone z;
  z.name = "DMA32";
  z.zone_idx = 1;
  z.has_watermarks = true;
  z.free = 12560 / 4;
  z.min = 7076 / 4;
  z.low = 8844 / 4;
  z.high = 10612 / 4;
  z.lowmem_reserve = {0, 0, 0, 0};
  z.nr_free = {2360, 80, 21, 7, 4, 1, 2, 0, 1, 0, 0};
  return z;
}

std::string slurp(const std::string& path) {
  auto t = read_text_file(path);
  EXPECT_TRUE(t.has_value()) << path;
  return t.value_or("");
}

Explanation explain_report(const std::string& file, std::optional<KernelVersion> force = std::nullopt) {
  FailureReport r = parse_failure_report(slurp(std::string(KST_TEST_DATA) + "/reports/" + file));
  ExplainRequest req;
  req.kv = force ? *force : r.kernel.value();
  GfpEra era = gfp_era_for(req.kv);
  uint64_t mask = r.mode;
  if (!r.mode_names.empty()) {
    std::string err;
    auto m = gfp_from_names(r.mode_names, era, &err);
    EXPECT_TRUE(m.has_value()) << err;
    if (m) mask = *m;
  }
  req.gfp = decode_gfp(mask, era);
  req.order = r.order;
  req.algo = wm_algo_for(req.kv);
  req.layout = r.layout;
  req.xen_guest = r.xen_guest;
  req.comm = r.comm;
  return explain(report_to_wm(r), req);
}

struct RunResult {
  int code;
  std::string out;
};

RunResult run(const std::string& args) {
  std::string cmd = std::string(KST_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace

// ---- GFP tables -----------------------------------------------------------

TEST(Gfp, CompositeConstantsPerEra) {
  struct Row {
    KernelVersion v;
    uint64_t kernel, atomic, highuser_movable;
  } rows[] = {
      {kv(2, 6), 0xd0, 0x20, 0x200da},
      {kv(3, 10), 0xd0, 0x20, 0x200da},
      {kv(4, 4), 0x24000c0, 0x2080020, 0x24200ca},
      {kv(4, 9), 0x24000c0, 0x2080020, 0x24200ca},
      {kv(4, 11), 0x14000c0, 0x1080020, 0x14200ca},
      {kv(4, 14), 0x14000c0, 0x1080020, 0x14200ca},
      {kv(4, 19), 0x6000c0, 0x480020, 0x6200ca},
      {kv(5, 4), 0xcc0, 0xa20, 0x100cca},
      {kv(6, 1), 0xcc0, 0xa20, 0x100cca},
      {kv(6, 6), 0xcc0, 0x820, 0x100cca},
  };
  for (const auto& r : rows) {
    GfpEra e = gfp_era_for(r.v);
    std::string err;
    EXPECT_EQ(gfp_from_names("GFP_KERNEL", e, &err).value(), r.kernel) << to_string(r.v);
    EXPECT_EQ(gfp_from_names("GFP_ATOMIC", e, &err).value(), r.atomic) << to_string(r.v);
    EXPECT_EQ(gfp_from_names("GFP_HIGHUSER_MOVABLE", e, &err).value(), r.highuser_movable) << to_string(r.v);
    EXPECT_EQ(names(r.kernel, r.v), std::set<std::string>{"GFP_KERNEL"});
    EXPECT_EQ(names(r.atomic, r.v), std::set<std::string>{"GFP_ATOMIC"});
    EXPECT_EQ(names(r.highuser_movable, r.v), std::set<std::string>{"GFP_HIGHUSER_MOVABLE"});
  }
}

TEST(Gfp, DecodesMasksAsTheKernelPrintedThem) {
  // (kernel, mask, names as printed by %pGg in real reports)
  struct Row {
    KernelVersion v;
    uint64_t mask;
    const char* printed;
  } rows[] = {
      {kv(4, 9), 0x2084120, "GFP_ATOMIC|__GFP_COLD|__GFP_COMP"},
      {kv(4, 9), 0x2084020, "GFP_ATOMIC|__GFP_COMP"},
      {kv(4, 7), 0x2000000, "GFP_NOWAIT"},
      {kv(4, 9), 0x208c020, "GFP_ATOMIC|__GFP_COMP|__GFP_ZERO"},
      {kv(4, 13), 0x108c020, "GFP_ATOMIC|__GFP_COMP|__GFP_ZERO"},
      {kv(4, 19), 0x480020, "GFP_ATOMIC"},
      {kv(5, 0), 0x404000, "GFP_NOWAIT|__GFP_COMP"},
      {kv(5, 4), 0x40dc0, "GFP_KERNEL|__GFP_COMP|__GFP_ZERO"},
      {kv(5, 7), 0x101cc0, "GFP_USER|__GFP_WRITE"},
      {kv(5, 10), 0x194dc2, "GFP_HIGHUSER|__GFP_RETRY_MAYFAIL|__GFP_NORETRY|__GFP_ZERO|__GFP_NOMEMALLOC"},
      {kv(5, 13), 0xcc1, "GFP_KERNEL|GFP_DMA"},
      {kv(6, 5), 0x820, "GFP_ATOMIC"},
      {kv(6, 12), 0x60820, "GFP_ATOMIC|__GFP_COMP|__GFP_MEMALLOC"},
      {kv(6, 18), 0x140dca, "GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO"},
      {kv(2, 6), 0x8020, "GFP_ATOMIC|__GFP_ZERO"},
      {kv(2, 6), 0xc0d0, "GFP_KERNEL|__GFP_COMP|__GFP_ZERO"},
      {kv(3, 17), 0x4d0, "GFP_KERNEL|__GFP_REPEAT"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(names(r.mask, r.v), split(r.printed)) << std::hex << r.mask << " on " << to_string(r.v);
    std::string err;
    EXPECT_EQ(gfp_from_names(r.printed, gfp_era_for(r.v), &err).value_or(0), r.mask) << r.printed;
    EXPECT_EQ(decode_gfp(r.mask, gfp_era_for(r.v)).unknown, 0u);
  }
}

TEST(Gfp, UnknownBitsAndBadInput) {
  auto g = decode_gfp(0x80000000, GfpEra::V5_1);
  EXPECT_EQ(g.unknown, 0x80000000u);
  std::string err;
  EXPECT_FALSE(gfp_from_names("GFP_BOGUS", GfpEra::V5_1, &err));
  EXPECT_NE(err.find("GFP_BOGUS"), std::string::npos);
  EXPECT_FALSE(parse_gfp_arg("0xzz", GfpEra::V5_1, &err));
  EXPECT_FALSE(parse_gfp_arg("", GfpEra::V5_1, &err));
  EXPECT_FALSE(parse_gfp_arg("0x1ffffffffffffffffffff", GfpEra::V5_1, &err));
  EXPECT_EQ(parse_gfp_arg("GFP_ATOMIC|__GFP_COMP", GfpEra::V4_4, &err).value(), 0x2084020u);
}

TEST(Gfp, AllocFlagsByEra) {
  auto atomic = [](KernelVersion v) {
    GfpEra e = gfp_era_for(v);
    std::string err;
    return alloc_flags_for(decode_gfp(*gfp_from_names("GFP_ATOMIC", e, &err), e), v, 2);
  };
  EXPECT_EQ(atomic(kv(2, 6)).describe(), "ALLOC_HIGH|ALLOC_HARDER");
  EXPECT_EQ(atomic(kv(4, 9)).describe(), "ALLOC_HIGH|ALLOC_HARDER");
  EXPECT_EQ(atomic(kv(6, 6)).describe(), "ALLOC_MIN_RESERVE|ALLOC_NON_BLOCK|ALLOC_HIGHATOMIC");
  // a sleeping __GFP_HIGH request on 6.4+ is named by its era too (report 13)
  EXPECT_EQ(alloc_flags_for(decode_gfp(0xc0de0, GfpEra::V6_4), kv(6, 19), 0).describe(), "ALLOC_MIN_RESERVE");
  EXPECT_EQ(alloc_flags_for(decode_gfp(0xce0, GfpEra::V5_1), kv(5, 4), 0).describe(), "ALLOC_HIGH");
  // GFP_NOWAIT on 4.4+ has no __GFP_ATOMIC: no reserves at all
  GfpInfo nowait = decode_gfp(0x2000000, GfpEra::V4_4);
  EXPECT_EQ(alloc_flags_for(nowait, kv(4, 7), 2).describe(), "none");
  // ...but before 4.4 "cannot sleep" alone gave ALLOC_HARDER
  EXPECT_EQ(alloc_flags_for(decode_gfp(0, GfpEra::Legacy), kv(3, 10), 0).describe(), "ALLOC_HARDER");
  EXPECT_TRUE(alloc_flags_for(decode_gfp(0x100cca, GfpEra::V5_1), kv(5, 4), 0).cma);
}

TEST(Gfp, KernelVersions) {
  EXPECT_EQ(parse_kernel_version("2.6.32-41-server").value(),
            (KernelVersion{2, 6, 32}));  // 2.6.x keeps its third number
  EXPECT_EQ(parse_kernel_version("5.4.0-120-generic").value(), kv(5, 4));
  EXPECT_EQ(parse_kernel_version("v6.12").value(), kv(6, 12));
  EXPECT_FALSE(parse_kernel_version("pre-4.4"));
  EXPECT_FALSE(parse_kernel_version("2.4.20"));
  EXPECT_FALSE(parse_kernel_version(""));
  EXPECT_FALSE(parse_kernel_version("99999999999999999999.1"));
}

// ---- the simulator: seed 003 ----------------------------------------------

TEST(Watermark, Seed003Pre44FailsAtOrder0Step) {
  WmZone z = seed_dma32();
  WmResult r = check_watermark(z, 4, z.min, 2, AllocFlags{}, WmAlgo::Pre44, 'U');
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.fail, WmFail::OrderStep);
  EXPECT_EQ(r.fail_order, 0);
  EXPECT_EQ(r.free_after, 765);
  EXPECT_EQ(r.required, 884);
  EXPECT_EQ(r.steps.back(),
            "order-0 step: after removing 2360 free order-0 pages, 765 pages remain <= 884 required: FAIL");
}

TEST(Watermark, Seed003Post44Passes) {
  WmZone z = seed_dma32();
  WmResult r = check_watermark(z, 4, z.min, 2, AllocFlags{}, WmAlgo::Post44, 'U');
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.assumed_migratetype);
  EXPECT_TRUE(check_watermark(z, 4, z.min, 2, AllocFlags{}, WmAlgo::Post64, 'U').ok);
}

TEST(Watermark, Seed003ModeLowersMin) {
  WmZone z = seed_dma32();
  AllocFlags high;
  high.high = true;  // min 1769 -> 885, order-0 step needs > 442
  WmResult r = check_watermark(z, 4, z.min, 2, high, WmAlgo::Pre44, 'U');
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.min_adjusted, 885);
  AllocFlags harder;
  harder.harder = true;  // min 1769 -> 1327, order-0 step needs > 663
  r = check_watermark(z, 4, z.min, 2, harder, WmAlgo::Pre44, 'U');
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.min_adjusted, 1327);
  // at the low watermark even ALLOC_HARDER fails: 765 <= 2211*3/4 / 2 = 829
  r = check_watermark(z, 4, z.low, 2, harder, WmAlgo::Pre44, 'U');
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.required, 829);
}

TEST(Watermark, ReserveCmaAndMigratetype) {
  WmZone z = seed_dma32();
  z.lowmem_reserve = {0, 0, 2000, 2000};
  WmResult r = check_watermark(z, 0, z.min, 2, AllocFlags{}, WmAlgo::Post44, 'U');
  EXPECT_EQ(r.fail, WmFail::Reserve);
  z.lowmem_reserve = {0, 0, 0, 0};
  z.free_cma = 2000;
  EXPECT_EQ(check_watermark(z, 0, z.min, 2, AllocFlags{}, WmAlgo::Post44, 'U').fail, WmFail::Cma);
  AllocFlags movable;
  movable.cma = true;
  EXPECT_TRUE(check_watermark(z, 0, z.min, 2, movable, WmAlgo::Post44, 'M').ok);
  z.free_cma = 0;
  z.mt_known = true;
  z.mt = {"UME", "UM", "U", "U", "C", "C", "C", "", "C", "", ""};
  EXPECT_EQ(check_watermark(z, 4, z.min, 2, AllocFlags{}, WmAlgo::Post44, 'U').fail, WmFail::Migratetype);
  EXPECT_TRUE(check_watermark(z, 4, z.min, 2, movable, WmAlgo::Post44, 'M').ok);
}

TEST(Watermark, Explain003ViaZoneinfoFiles) {
  std::string dir = std::string(KST_TEST_DATA) + "/seed003/";
  auto zones = parse_zoneinfo(slurp(dir + "zoneinfo"));
  merge_buddyinfo(zones, parse_buddyinfo(slurp(dir + "buddyinfo")));
  ExplainRequest req;
  req.order = 4;
  req.kv = kv(2, 6);
  req.gfp = decode_gfp(0xd0, GfpEra::Legacy);
  req.algo = WmAlgo::Pre44;
  req.all_marks = true;
  req.layout = {"DMA", "DMA32", "Normal"};
  Explanation ex = explain(zones_to_wm(zones), req);
  ASSERT_EQ(ex.zonelist.size(), 2u);  // the empty Normal zone is skipped
  EXPECT_EQ(ex.zonelist[0].zone.name, "DMA32");
  EXPECT_EQ(ex.cause, Cause::Fragmentation);
  const WmResult& min = ex.zonelist[0].marks[0].second;
  EXPECT_EQ(min.free_after, 765);
  EXPECT_EQ(min.required, 884);
  EXPECT_NE(ex.verdict.find("8 free block(s) of order >= 4 (480 pages"), std::string::npos) << ex.verdict;
  EXPECT_NE(ex.verdict.find("iterative check refused them"), std::string::npos) << ex.verdict;
  // the what-if table: ALLOC_HIGH alone, GFP_ATOMIC, and the 4.4+ algorithm all pass
  ASSERT_EQ(ex.what_if.size(), 4u);
  EXPECT_FALSE(ex.what_if[0].result.ok);
  EXPECT_TRUE(ex.what_if[1].result.ok);
  EXPECT_TRUE(ex.what_if[2].result.ok);
  EXPECT_TRUE(ex.what_if[3].result.ok);
  req.algo = WmAlgo::Post44;
  req.kv = kv(4, 4);
  req.gfp = decode_gfp(0x24000c0, GfpEra::V4_4);
  EXPECT_EQ(explain(zones_to_wm(zones), req).cause, Cause::NotReproduced);
}

// ---- real reports -----------------------------------------------------------

struct ReportCase {
  const char* file;
  std::optional<KernelVersion> kernel;  // when the report does not say
  Cause cause;
  const char* zone;              // preferred zone
  int64_t free_after, required;  // at the deciding comparison (-1: not checked)
};

class RealReports : public ::testing::TestWithParam<ReportCase> {};

TEST_P(RealReports, Verdict) {
  const ReportCase& c = GetParam();
  Explanation ex = explain_report(c.file, c.kernel);
  EXPECT_EQ(cause_name(ex.cause), std::string(cause_name(c.cause))) << ex.verdict;
  if (c.zone) {
    ASSERT_FALSE(ex.zonelist.empty());
    EXPECT_EQ(ex.zonelist.front().zone.name, c.zone);
  }
  if (c.free_after >= -1000 && c.required >= 0) {
    const WmResult& r = ex.zonelist.front().marks.front().second;
    EXPECT_EQ(r.free_after, c.free_after) << ex.verdict;
    EXPECT_EQ(r.required, c.required) << ex.verdict;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, RealReports,
    ::testing::Values(
        ReportCase{"01_2.6.32_imap_order4_fragmentation.txt", {}, Cause::Fragmentation, "DMA32", 765, 884},
        ReportCase{"02_2.6.31_e100_order5_fragmentation.txt", {}, Cause::Fragmentation, "Normal", -31, 5},
        ReportCase{
            "03_4.1.18_hi3650_order2_dma_fragmentation.txt", {}, Cause::Fragmentation, "DMA", -82, 425},
        ReportCase{"04_3.x_arm_cma_oom_migratetype.txt", KernelVersion{3, 17}, Cause::Migratetype, "Normal",
                   -2000, -1},
        ReportCase{"05_4.9.24_coreos_xen_hvm_atomic.txt", {}, Cause::Inconclusive, nullptr, -2000, -1},
        ReportCase{"06_5.4.30_ceph_virtio_atomic_lowfree.txt", {}, Cause::LowFree, "Normal", 16071, 16123},
        ReportCase{"07_5.8_mips_kswapd0_atomic_lowfree.txt", {}, Cause::LowFree, "Normal", 453, 513},
        ReportCase{
            "08_5.8_mips_containerd_order4_fragmentation.txt", {}, Cause::Fragmentation, "Normal", -2000, -1},
        ReportCase{"09_5.4.161_android_atomic_lowfree.txt", {}, Cause::LowFree, "Normal", 381, 680},
        ReportCase{"10_5.19_i386_swapper_order5_qp_lowfree.txt", {}, Cause::LowFree, "Normal", 729, 735},
        ReportCase{"11_5.7_i386_mkfs_oom_not_reproduced.txt", {}, Cause::NotReproduced, "Normal", -2000, -1},
        ReportCase{"12_6.7_x86_64_trinity_kexec_order1_not_reproduced.txt",
                   {},
                   Cause::NotReproduced,
                   "Normal",
                   9615,
                   4010},
        ReportCase{
            "13_6.19_x86_64_kswapd0_nomemalloc_lowfree.txt", {}, Cause::LowFree, "Normal", 5021, 8307}),
    [](const ::testing::TestParamInfo<ReportCase>& i) {
      return "report_" + std::string(i.param.file).substr(0, 2);
    });

TEST(Reports, HeaderFields) {
  auto r = parse_failure_report(
      slurp(std::string(KST_TEST_DATA) + "/reports/06_5.4.30_ceph_virtio_atomic_lowfree.txt"));
  EXPECT_EQ(r.comm, "kworker/7:0");
  EXPECT_EQ(r.order, 0);
  EXPECT_EQ(r.mode, 0xa20u);
  EXPECT_EQ(r.mode_names, "GFP_ATOMIC");
  EXPECT_EQ(r.cpuset, "/");
  EXPECT_EQ(r.kernel_release, "5.4.30");
  ASSERT_EQ(r.zones.size(), 3u);
  EXPECT_EQ(r.zones[1].name, "DMA32");
  EXPECT_EQ(r.zones[1].lowmem_reserve, (std::vector<int64_t>{0, 0, 12485, 12485, 12485}));
  EXPECT_EQ(r.zones[1].nr_free[8], 2);
  EXPECT_EQ(r.zones[1].mt[0], "MEH");
  EXPECT_EQ(r.layout, (std::vector<std::string>{"DMA", "DMA32", "Normal", "Movable", "Device"}));
  auto q = parse_failure_report(
      slurp(std::string(KST_TEST_DATA) + "/reports/10_5.19_i386_swapper_order5_qp_lowfree.txt"));
  EXPECT_EQ(q.mode, 0xcc0u);
  EXPECT_EQ(q.nodemask, "(null)");
  EXPECT_EQ(q.layout, (std::vector<std::string>{"DMA", "Normal", "HighMem", "Movable"}));
  EXPECT_EQ(q.zones.back().nr_free[10], 497);
  // 6.x: zone lines without "Node N" (!CONFIG_NUMA), "[ T2438]" caller ids, boost and highatomic in the
  // figures
  auto k = parse_failure_report(
      slurp(std::string(KST_TEST_DATA) + "/reports/12_6.7_x86_64_trinity_kexec_order1_not_reproduced.txt"));
  EXPECT_EQ(k.comm, "trinity-c2");
  EXPECT_EQ(k.order, 1);
  EXPECT_EQ(k.mode_names, "GFP_KERNEL|__GFP_NORETRY");
  EXPECT_EQ(k.kernel_release, "6.7.0-rc4-00178-g816d334afa85");
  ASSERT_EQ(k.zones.size(), 3u);
  EXPECT_EQ(k.zones[2].name, "Normal");
  EXPECT_EQ(k.zones[2].boost_kb, 4096);
  EXPECT_EQ(k.zones[2].reserved_highatomic_kb, 4096);
  EXPECT_EQ(k.zones[2].nr_free[1], 445);
  EXPECT_EQ(k.layout, (std::vector<std::string>{"DMA", "DMA32", "Normal", "Movable"}));
  // "[Fri Apr 17 19:56:16 2026]" (dmesg -T) prefixes; kswapd's own __GFP_NOMEMALLOC allocation
  auto w = parse_failure_report(
      slurp(std::string(KST_TEST_DATA) + "/reports/13_6.19_x86_64_kswapd0_nomemalloc_lowfree.txt"));
  EXPECT_EQ(w.comm, "kswapd0");
  EXPECT_EQ(w.kernel_release, "6.19.11-1-cachyos-deckify");
  EXPECT_EQ(w.zones[1].lowmem_reserve, (std::vector<int64_t>{0, 0, 94028, 94028, 94028}));
  Explanation ew = explain_report("13_6.19_x86_64_kswapd0_nomemalloc_lowfree.txt");
  EXPECT_EQ(ew.flags.describe(), "ALLOC_MIN_RESERVE");
  bool nomemalloc_note = false;
  for (const auto& n : ew.notes)
    nomemalloc_note = nomemalloc_note || n.find("__GFP_NOMEMALLOC") != std::string::npos;
  EXPECT_TRUE(nomemalloc_note);
  auto x = parse_failure_report(
      slurp(std::string(KST_TEST_DATA) + "/reports/05_4.9.24_coreos_xen_hvm_atomic.txt"));
  EXPECT_TRUE(x.xen_guest);
  Explanation ex = explain_report("05_4.9.24_coreos_xen_hvm_atomic.txt");
  bool dom0 = false;
  for (const auto& a : ex.advice) dom0 = dom0 || a.find("dom0_mem=") != std::string::npos;
  EXPECT_TRUE(dom0);
}

// ---- malformed and hostile input ------------------------------------------

TEST(Reports, MalformedInputThrowsParseError) {
  for (const char* bad : {"", "hello world", "page allocation failure", "page allocation failure: order:",
                          "x: page allocation failure: order:abc, mode:0x20",
                          "invoked oom-killer: gfp_mask=0x20", "#012#012#012", "=3D=3D=\n=\n", "\0\0\0"}) {
    EXPECT_THROW(parse_failure_report(bad), ParseError) << bad;
  }
}

TEST(Reports, HostileInputNeverCrashes) {
  std::vector<std::string> inputs = {
      "a: page allocation failure: order:99999999999999999999, mode:0xffffffffffffffffffff(GFP_X|(|)\n"
      "Node 99999999999 Normal free:-5kB min:99999999999999999999kB lowmem_reserve[]: -1 2 3\n"
      "Normal: 1*4kB 1*3kB 1*8kB (UUUUUUUUUUUUUUUUUUUUUUU) 5*99999999999999kB = x\n",
      "a: page allocation failure: order:3, mode:0x20\nNormal: 1*0kB 2*0kB\nDMA: *4kB 3*kB\n"
      "Normal free:4kB min:8kB\nlowmem_reserve[]:\n",
      "a: page allocation failure: order:30, mode:0x20\nNormal free:100kB min:4kB\nlowmem_reserve[]: 0\n"
      "Normal: 1*4kB 1*8kB 1*16kB 1*32kB 1*64kB 1*128kB 1*256kB 1*512kB 1*1024kB 1*2048kB 1*4096kB "
      "1*8192kB 1*16384kB 1*32768kB 1*65536kB 1*131072kB 1*262144kB 1*524288kB 1*1048576kB 1*2097152kB "
      "1*4194304kB 1*8388608kB 1*16777216kB 1*33554432kB 1*67108864kB 1*134217728kB 1*268435456kB "
      "1*536870912kB 1*1073741824kB 1*2147483648kB 1*4294967296kB 1*8589934592kB = 1kB\n",
  };
  // inputs scripts/fuzz-explain once crashed on
  inputs.push_back(slurp(std::string(KST_TEST_DATA) + "/fuzz/report-use-after-free"));
  std::mt19937 rng(7);
  std::string base = slurp(std::string(KST_TEST_DATA) + "/reports/06_5.4.30_ceph_virtio_atomic_lowfree.txt");
  for (int i = 0; i < 300; i++) {
    std::string s = base;
    for (int k = 0; k < 20; k++) s[rng() % s.size()] = static_cast<char>(rng() % 256);
    s.resize(rng() % s.size());
    inputs.push_back(s);
  }
  for (const auto& in : inputs) {
    try {
      FailureReport r = parse_failure_report(in);
      ExplainRequest req;
      req.order = r.order;
      req.gfp = decode_gfp(r.mode, GfpEra::V5_1);
      req.layout = r.layout;
      req.kv = kv(5, 4);
      for (WmAlgo a : {WmAlgo::Pre44, WmAlgo::Post44, WmAlgo::Post64}) {
        req.algo = a;
        explain(report_to_wm(r), req);
      }
    } catch (const ParseError&) {
    }
  }
  SUCCEED();
}

// ---- the binary ---------------------------------------------------------------

TEST(ExplainCli, ReportJson) {
  auto r = run("explain --json " + std::string(KST_TEST_DATA) +
               "/reports/01_2.6.32_imap_order4_fragmentation.txt");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"]["cause"], "fragmentation");
  EXPECT_EQ(j["kernel"]["algorithm"], "pre-4.4");
  EXPECT_EQ(j["zonelist"][0]["checks"]["min"]["free_pages"], 765);
  EXPECT_EQ(j["zonelist"][0]["checks"]["min"]["required_pages"], 884);
}

TEST(ExplainCli, OrderAgainstCapturedFiles) {
  std::string d = std::string(KST_TEST_DATA) + "/seed003/";
  auto r = run("explain --order 4 --kernel-version 2.6.32 --zoneinfo " + d + "zoneinfo --buddyinfo " + d +
               "buddyinfo");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(
      r.out.find("order-0 step: after removing 2360 free order-0 pages, 765 pages remain <= 884 required"),
      std::string::npos)
      << r.out;
  r = run("explain --order 4 --algorithm 4.4+ --kernel-version 4.4 --json --zoneinfo " + d +
          "zoneinfo --buddyinfo " + d + "buddyinfo");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["zonelist"][0]["checks"]["min"]["ok"], true);
}

TEST(ExplainCli, ErrorsAreOneLine) {
  // bad files: 1; a bad command line (no input, a bad order, mask or kernel version): 2 (docs/usage.md)
  for (const auto& [args, code] : std::vector<std::pair<std::string, int>>{
           {"explain /nonexistent/report", 1},
           {std::string("explain ") + KST_TEST_DATA + "/seed003/README", 1},
           {"explain", 2},
           {"explain --order 99", 2},
           {"gfp 0xzz --kernel-version 4.4", 2},
           {"gfp GFP_KERNEL --kernel-version banana", 2},
           {std::string("explain ") + KST_TEST_DATA + "/reports/04_3.x_arm_cma_oom_migratetype.txt", 1}}) {
    auto r = run(args);
    EXPECT_EQ(r.code, code) << args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("kswaptrace: ", 0), 0u) << r.out;
  }
}

TEST(ExplainCli, GfpJson) {
  auto r = run("gfp 0x2080020 --kernel-version 4.4 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["names"], nlohmann::json::array({"GFP_ATOMIC"}));
  EXPECT_EQ(j["alloc_flags"], "ALLOC_HIGH|ALLOC_HARDER");
}

// ---- era arithmetic (the boundary table) -------------------------------------

namespace {

WmZone plain_zone(int64_t free, int64_t min) {
  WmZone z;
  z.name = "Normal";
  z.zone_idx = 2;
  z.has_watermarks = true;
  z.free = free;
  z.min = min;
  z.low = min * 5 / 4;
  z.high = min * 3 / 2;
  z.lowmem_reserve = {0, 0, 0, 0};
  z.nr_free = {free};
  return z;
}

}  // namespace

TEST(EraTable, BoundariesAreOrderedAndCiteACommit) {
  const auto& t = wm_boundaries();
  ASSERT_GE(t.size(), 7u);
  for (size_t i = 0; i < t.size(); i++) {
    EXPECT_GT(std::string(t[i].commit).size(), 10u);
    EXPECT_GT(std::string(t[i].change).size(), 10u);
    if (i) {
      EXPECT_LE(t[i - 1].at, t[i].at);
    }
  }
}

TEST(EraTable, RulesPerRelease) {
  EXPECT_FALSE(wm_rules_for(*parse_kernel_version("2.6.36")).off_by_two);
  EXPECT_TRUE(wm_rules_for(*parse_kernel_version("2.6.37")).off_by_two);
  EXPECT_TRUE(wm_rules_for(kv(3, 2)).off_by_two);
  EXPECT_FALSE(wm_rules_for(kv(3, 3)).off_by_two);
  EXPECT_EQ(wm_rules_for(kv(4, 3)).algo, WmAlgo::Pre44);
  EXPECT_EQ(wm_rules_for(kv(4, 4)).algo, WmAlgo::Post44);
  EXPECT_TRUE(wm_rules_for(kv(4, 4)).highatomic_reserve);
  EXPECT_FALSE(wm_rules_for(kv(5, 6)).classzone_highest);
  EXPECT_TRUE(wm_rules_for(kv(5, 7)).classzone_highest);
  EXPECT_EQ(wm_rules_for(kv(6, 4)).algo, WmAlgo::Post64);
  EXPECT_FALSE(wm_rules_for(kv(6, 11)).free_highatomic);
  EXPECT_TRUE(wm_rules_for(kv(6, 12)).free_highatomic);  // c928807f6f6b went into 6.12-rc7
  EXPECT_EQ(to_string(*parse_kernel_version("2.6.37-1-amd64")), "2.6.37");
}

// 2.6.37-3.2 subtracted (1 << order) + 1: two pages more than before and after.
TEST(EraTable, OffByTwoBefore33) {
  WmZone z = plain_zone(1002, 1000);  // order 0: 1002 - 0 > 1000, but 1002 - 2 <= 1000
  WmResult fixed = check_watermark(z, 0, z.min, 2, AllocFlags{}, wm_rules_for(kv(3, 3)), 'U');
  EXPECT_TRUE(fixed.ok);
  EXPECT_EQ(fixed.free_after, 1002);
  WmResult buggy = check_watermark(z, 0, z.min, 2, AllocFlags{}, wm_rules_for(kv(3, 2)), 'U');
  EXPECT_FALSE(buggy.ok);
  EXPECT_EQ(buggy.fail, WmFail::Watermark);
  EXPECT_EQ(buggy.free_after, 1000);
  EXPECT_NE(buggy.steps.front().find("off-by-two"), std::string::npos);
  WmResult old =
      check_watermark(z, 0, z.min, 2, AllocFlags{}, wm_rules_for(*parse_kernel_version("2.6.32")), 'U');
  EXPECT_TRUE(old.ok);
}

// 6.12+ discounts nr_free_highatomic, 4.4-6.11 nr_reserved_highatomic.
TEST(EraTable, FreeHighatomicFrom612) {
  WmZone z = plain_zone(2000, 1000);
  z.reserved_highatomic = 1024;
  z.free_highatomic = 8;
  WmResult r612 = check_watermark(z, 0, z.min, 2, AllocFlags{}, wm_rules_for(kv(6, 11)), 'U');
  EXPECT_FALSE(r612.ok);
  EXPECT_EQ(r612.fail, WmFail::Highatomic);
  EXPECT_EQ(r612.free_after, 2000 - 1024);
  WmResult r613 = check_watermark(z, 0, z.min, 2, AllocFlags{}, wm_rules_for(kv(6, 12)), 'U');
  EXPECT_TRUE(r613.ok);
  EXPECT_EQ(r613.free_after, 2000 - 8);
  // free_highatomic not printed (before 6.16): decided only when 0 and the reserve size agree
  z.free_highatomic = -1;
  WmResult unk = check_watermark(z, 0, z.min, 2, AllocFlags{}, wm_rules_for(kv(6, 14)), 'U');
  EXPECT_TRUE(unk.unknown);
  EXPECT_FALSE(unk.ok);
  z.free = 5000;
  EXPECT_TRUE(check_watermark(z, 0, z.min, 2, AllocFlags{}, wm_rules_for(kv(6, 14)), 'U').ok);
  // GFP_ATOMIC-like requests (ALLOC_RESERVES) are not discounted at all
  AllocFlags high;
  high.high = true;
  z.free = 2000;
  EXPECT_EQ(check_watermark(z, 0, z.min, 2, high, wm_rules_for(kv(6, 14)), 'U').free_after, 2000);
}

TEST(EraTable, UncertainLevelShowsBothSides) {
  WmZone z = plain_zone(1002, 1000);
  ExplainRequest req;
  req.kv = kv(3, 2);
  req.algo = WmAlgo::Pre44;
  req.gfp = decode_gfp(0xd0, GfpEra::Legacy, req.kv);
  req.layout = {"DMA", "DMA32", "Normal"};
  req.kv_low = kv(3, 2);
  req.kv_high = kv(3, 3);
  Explanation ex = explain({z}, req);
  EXPECT_EQ(ex.cause, Cause::LowFree);
  ASSERT_EQ(ex.era_alternatives.size(), 1u);
  EXPECT_TRUE(ex.era_alternatives[0].applied);
  EXPECT_TRUE(ex.era_alternatives[0].changes);
  EXPECT_EQ(ex.era_alternatives[0].cause, Cause::NotReproduced);
  EXPECT_NE(ex.era_alternatives[0].boundary.find("off-by-two"), std::string::npos);
  // a zone far from the mark: the boundary does not matter, and it says so
  z = plain_zone(5000, 1000);
  ex = explain({z}, req);
  ASSERT_EQ(ex.era_alternatives.size(), 1u);
  EXPECT_FALSE(ex.era_alternatives[0].changes);
  // an exact level: no alternatives
  req.kv_low.reset();
  req.kv_high.reset();
  EXPECT_TRUE(explain({z}, req).era_alternatives.empty());
}

// ---- highatomic-tagged blocks and the decisive zone -------------------------

TEST(Watermark, HighatomicTaggedBlocks) {
  WmZone z = plain_zone(20000, 1000);
  z.nr_free = {1000, 500, 100, 4, 0, 0};
  z.mt_known = true;
  z.mt = {"UME", "UM", "U", "H", "", ""};
  WmResult r = check_watermark(z, 3, z.min, 2, AllocFlags{}, wm_rules_for(kv(5, 10)), 'U');
  EXPECT_EQ(r.fail, WmFail::HighatomicBlock);
  EXPECT_EQ(r.blocks_at_order, 4);
  EXPECT_EQ(r.pages_at_order, 32);
  AllocFlags harder;
  harder.harder = true;  // GFP_ATOMIC on 4.4-6.3 may take them
  EXPECT_TRUE(check_watermark(z, 3, z.min, 2, harder, wm_rules_for(kv(5, 10)), 'U').ok);
  ExplainRequest req;
  req.kv = kv(5, 10);
  req.algo = WmAlgo::Post44;
  req.order = 3;
  req.gfp = decode_gfp(0xcc0, GfpEra::V5_1, req.kv);
  req.layout = {"DMA", "DMA32", "Normal"};
  Explanation ex = explain({z}, req);
  EXPECT_EQ(ex.cause, Cause::Highatomic);
  EXPECT_NE(ex.verdict.find("highatomic (H)"), std::string::npos) << ex.verdict;
}

// The preferred zone is merely low; the big zone has blocks of the order and
// fails only at an order step: the verdict is about the big zone.
TEST(Watermark, DecisiveZoneIsTheOneThatCouldHaveServed) {
  WmZone normal = plain_zone(300, 1000);
  normal.nr_free = {300};
  WmZone dma32 = seed_dma32();
  std::vector<WmZone> zones = {dma32, normal};
  ExplainRequest req;
  req.kv = *parse_kernel_version("2.6.32");
  req.algo = WmAlgo::Pre44;
  req.order = 4;
  req.gfp = decode_gfp(0xd0, GfpEra::Legacy, req.kv);
  req.layout = {"DMA", "DMA32", "Normal"};
  Explanation ex = explain(zones, req);
  ASSERT_EQ(ex.zonelist.size(), 2u);
  EXPECT_EQ(ex.zonelist.front().zone.name, "Normal");  // tried first
  EXPECT_EQ(ex.cause, Cause::Fragmentation) << ex.verdict;
  ASSERT_GE(ex.decisive, 0);
  EXPECT_EQ(ex.zonelist[ex.decisive].zone.name, "DMA32");
  EXPECT_EQ(ex.verdict.rfind("fragmentation: Node 0 DMA32", 0), 0u) << ex.verdict;
  EXPECT_NE(ex.verdict.find("8 free block(s) of order >= 4 (480 pages"), std::string::npos) << ex.verdict;
  EXPECT_NE(ex.verdict.find("765 pages were left <= 884 required"), std::string::npos) << ex.verdict;
  EXPECT_NE(ex.verdict.find("Normal: watermark (285 <= 1000)"), std::string::npos) << ex.verdict;
  // fragmentation advice, not low-memory advice; a sleeping request is not told to avoid atomic allocations
  ASSERT_FALSE(ex.advice.empty());
  EXPECT_NE(ex.advice[0].find("compaction"), std::string::npos);
  for (const auto& a : ex.advice) EXPECT_EQ(a.find("avoid high-order atomic"), std::string::npos) << a;
}

// ---- advice and names per era -------------------------------------------------

TEST(Advice, NoCompactionBefore2635) {
  Explanation ex = explain_report("01_2.6.32_imap_order4_fragmentation.txt");
  ASSERT_FALSE(ex.advice.empty());
  EXPECT_NE(ex.advice[0].find("no memory compaction"), std::string::npos) << ex.advice[0];
  for (const auto& a : ex.advice) {
    EXPECT_EQ(a.find("compact_memory"), std::string::npos) << a;
    EXPECT_EQ(a.find("watermark_scale_factor"), std::string::npos) << a;
  }
}

TEST(Gfp, Bit0x100000NamedPerRelease) {
  auto has = [](const GfpInfo& g, const char* n) {
    return std::find(g.flags.begin(), g.flags.end(), n) != g.flags.end();
  };
  GfpInfo g313 = decode_gfp(0x1000d0, GfpEra::Legacy, kv(3, 13));
  EXPECT_TRUE(has(g313, "__GFP_KMEMCG"));
  EXPECT_FALSE(has(g313, "__GFP_NOACCOUNT"));
  EXPECT_EQ(g313.unknown, 0u);
  GfpInfo g316 = decode_gfp(0x1000d0, GfpEra::Legacy, kv(3, 16));
  EXPECT_FALSE(has(g316, "__GFP_KMEMCG"));
  EXPECT_FALSE(has(g316, "__GFP_NOACCOUNT"));
  EXPECT_EQ(g316.unknown, 0x100000u);
  EXPECT_TRUE(has(decode_gfp(0x1000d0, GfpEra::Legacy, kv(4, 1)), "__GFP_NOACCOUNT"));
  EXPECT_TRUE(has(decode_gfp(0x100000, GfpEra::V4_4, kv(4, 4)), "__GFP_NOACCOUNT"));
  EXPECT_TRUE(has(decode_gfp(0x100000, GfpEra::V4_4, kv(4, 9)), "__GFP_ACCOUNT"));
}

TEST(Reports, WrappedHardwareName) {
  auto r = parse_failure_report(
      "kworker/0:1: page allocation failure: order:0, mode:0x20\n"
      "CPU: 0 PID: 1 Comm: kworker/0:1 Not tainted 4.9.24 #1\n"
      "Hardware name: Xen HVM domU, BIOS 4.2.amazon\n"
      "08/24/2006\n"
      "Call Trace:\n");
  EXPECT_EQ(r.hardware, "Xen HVM domU, BIOS 4.2.amazon 08/24/2006");
  EXPECT_TRUE(r.xen_guest);
}

// ---- truncated and concatenated input ---------------------------------------

namespace {

const char* kCorpus[] = {
    "01_2.6.32_imap_order4_fragmentation.txt",       "02_2.6.31_e100_order5_fragmentation.txt",
    "03_4.1.18_hi3650_order2_dma_fragmentation.txt", "06_5.4.30_ceph_virtio_atomic_lowfree.txt",
    "07_5.8_mips_kswapd0_atomic_lowfree.txt",        "08_5.8_mips_containerd_order4_fragmentation.txt",
    "09_5.4.161_android_atomic_lowfree.txt",         "10_5.19_i386_swapper_order5_qp_lowfree.txt",
    "11_5.7_i386_mkfs_oom_not_reproduced.txt",       "12_6.7_x86_64_trinity_kexec_order1_not_reproduced.txt",
    "13_6.19_x86_64_kswapd0_nomemalloc_lowfree.txt",
};

Explanation explain_text(const FailureReport& r, KernelVersion v) {
  ExplainRequest req;
  req.kv = v;
  GfpEra era = gfp_era_for(v);
  uint64_t mask = r.mode;
  if (!r.mode_names.empty()) {
    std::string err;
    if (auto m = gfp_from_names(r.mode_names, era, &err)) mask = *m;
  }
  req.gfp = decode_gfp(mask, era, v);
  req.order = r.order;
  req.algo = wm_algo_for(v);
  req.layout = r.layout;
  req.zones_complete = r.zones_complete;
  return explain(report_to_wm(r), req);
}

std::string decisive_name(const Explanation& ex) {
  return ex.decisive >= 0 ? ex.zonelist[ex.decisive].zone.name : std::string("-");
}

// A prefix of a report either reaches the full report's verdict (same cause,
// same zone) or says it cannot decide: never a failure the full report does not show.
void check_prefix(const std::string& name, const std::string& prefix, const Explanation& full,
                  KernelVersion v) {
  FailureReport r;
  try {
    r = parse_failure_report(prefix);
  } catch (const ParseError&) {
    return;  // cut before the header: a one-line error, nothing invented
  }
  Explanation ex = explain_text(r, v);
  if (ex.cause == Cause::Inconclusive) return;
  ASSERT_EQ(cause_name(ex.cause), std::string(cause_name(full.cause)))
      << name << " cut at byte " << prefix.size() << ": " << ex.verdict;
  ASSERT_EQ(decisive_name(ex), decisive_name(full)) << name << " cut at byte " << prefix.size();
}

}  // namespace

TEST(Truncation, EveryLineAndMidLineOfRealReports) {
  int checked = 0;
  for (const char* f : kCorpus) {
    std::string text = slurp(std::string(KST_TEST_DATA) + "/reports/" + f);
    FailureReport whole = parse_failure_report(text);
    KernelVersion v = whole.kernel.value();
    Explanation full = explain_text(whole, v);
    EXPECT_FALSE(whole.truncated) << f;
    for (size_t p = 0, nl; (nl = text.find('\n', p)) != std::string::npos; p = nl + 1) {
      check_prefix(f, text.substr(0, nl + 1), full, v);        // at the line's end
      check_prefix(f, text.substr(0, (p + nl) / 2), full, v);  // in its middle
      checked += 2;
    }
  }
  EXPECT_GT(checked, 500);
}

// Every byte of a multi-zone report's Mem-Info part: "min:70kB" cut to "min:7" is never a value.
TEST(Truncation, EveryByteOfTheZoneSection) {
  const char* f = "06_5.4.30_ceph_virtio_atomic_lowfree.txt";
  std::string text = slurp(std::string(KST_TEST_DATA) + "/reports/" + f);
  FailureReport whole = parse_failure_report(text);
  Explanation full = explain_text(whole, *whole.kernel);
  size_t from = text.find("Node 0 DMA free:");
  ASSERT_NE(from, std::string::npos);
  for (size_t n = from; n <= text.size(); n++) check_prefix(f, text.substr(0, n), full, *whole.kernel);
}

TEST(Truncation, CutTokenIsReportedNotRead) {
  std::string text =
      slurp(std::string(KST_TEST_DATA) + "/reports/13_6.19_x86_64_kswapd0_nomemalloc_lowfree.txt");
  size_t at = text.find("min:66452kB");
  ASSERT_NE(at, std::string::npos);
  FailureReport r = parse_failure_report(text.substr(0, at + 6));  // "...min:66"
  EXPECT_TRUE(r.truncated);
  bool said = false;
  for (const auto& t : r.truncation) said = said || t.find("'min:66'") != std::string::npos;
  EXPECT_TRUE(said);
  for (const auto& z : r.zones)
    if (z.name == "Normal") {
      EXPECT_FALSE(z.line_complete);
    }
  EXPECT_EQ(explain_text(r, *r.kernel).cause, Cause::Inconclusive);
}

TEST(Reports, ConcatenatedReportsEachOnTheirOwn) {
  std::vector<std::string> files = {"06_5.4.30_ceph_virtio_atomic_lowfree.txt",
                                    "13_6.19_x86_64_kswapd0_nomemalloc_lowfree.txt",
                                    "03_4.1.18_hi3650_order2_dma_fragmentation.txt"};
  std::string all;
  std::vector<FailureReport> single;
  for (const auto& f : files) {
    std::string t = slurp(std::string(KST_TEST_DATA) + "/reports/" + f);
    single.push_back(parse_failure_report(t));
    all += t;
    if (all.back() != '\n') all += "\n";
  }
  for (size_t n : {2u, 3u}) {
    std::string text;
    for (size_t i = 0; i < n; i++) {
      std::string t = slurp(std::string(KST_TEST_DATA) + "/reports/" + files[i]);
      text += t + (t.back() == '\n' ? "" : "\n");
    }
    auto reps = parse_failure_reports(text);
    ASSERT_EQ(reps.size(), n);
    for (size_t i = 0; i < n; i++) {
      EXPECT_EQ(reps[i].comm, single[i].comm);
      EXPECT_EQ(reps[i].hardware, single[i].hardware) << i;
      EXPECT_EQ(reps[i].kernel_release, single[i].kernel_release);
      EXPECT_EQ(reps[i].zones.size(), single[i].zones.size());
      EXPECT_FALSE(reps[i].truncated) << i;
      Explanation a = explain_text(reps[i], *reps[i].kernel), b = explain_text(single[i], *single[i].kernel);
      EXPECT_EQ(a.cause, b.cause) << i;
      EXPECT_EQ(a.verdict, b.verdict) << i;
    }
    if (n > 1) {
      EXPECT_GT(reps[1].line, reps[0].line);
    }
  }
}

TEST(ExplainCli, EmptyInputIsAOneLineError) {
  std::string tmp = testing::TempDir() + "/empty-report.txt";
  { std::ofstream o(tmp); }
  auto r = run("explain " + tmp);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(r.out, "kswaptrace: report: the input is empty\n");
  std::remove(tmp.c_str());
}

TEST(ExplainCli, SeveralReportsGiveAJsonArray) {
  std::string d = std::string(KST_TEST_DATA) + "/reports/";
  std::string tmp = testing::TempDir() + "/two-reports.txt";
  {
    std::ofstream o(tmp);
    o << slurp(d + "06_5.4.30_ceph_virtio_atomic_lowfree.txt") << "\n"
      << slurp(d + "13_6.19_x86_64_kswapd0_nomemalloc_lowfree.txt");
  }
  auto r = run("explain --json " + tmp);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["report"]["kernel_release"], "5.4.30");
  EXPECT_EQ(j[1]["report"]["kernel_release"], "6.19.11-1-cachyos-deckify");
  EXPECT_EQ(j[1]["verdict"]["cause"], "low_free_memory");
  r = run("explain " + tmp);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("=== Report 2 of 2"), std::string::npos);
  std::remove(tmp.c_str());
}
