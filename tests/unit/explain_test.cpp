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
  EXPECT_EQ(parse_kernel_version("2.6.32-41-server").value(), kv(2, 6));
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
  EXPECT_NE(ex.verdict.find("although a free block of order 4 exists"), std::string::npos);
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
