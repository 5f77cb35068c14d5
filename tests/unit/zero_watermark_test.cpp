// The zero-watermark rule of kst::zone_hazards() on /proc/zoneinfo captured in
// the VM harness (scripts/vmtest, docs/xen.md): Debian 6.1 and 6.12 kernels in a
// Xen 4.17 PV domU under a PV dom0, before and after a balloon hot-add and
// after `kswaptrace fix-watermarks --apply`; and zoneinfo of healthy systems
// that must not trigger it.  min_free_kbytes is the value the same guest had
// (read next to the capture) where it was recorded.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/hazards.h"
#include "core/zones.h"
#include "test_util.h"

using namespace kst;

namespace {

std::vector<ZoneInfo> zones_of(const std::string& file) {
  return parse_zoneinfo(test::data_file("proc/" + file));
}

std::vector<Hazard> zero_watermark(const std::vector<Hazard>& hs) {
  std::vector<Hazard> out;
  std::copy_if(hs.begin(), hs.end(), std::back_inserter(out),
               [](const Hazard& h) { return h.kind == "zero-watermark"; });
  return out;
}

const Hazard* find(const std::vector<Hazard>& hs, const std::string& kind, const std::string& zone) {
  auto it =
      std::find_if(hs.begin(), hs.end(), [&](const Hazard& h) { return h.kind == kind && h.zone == zone; });
  return it == hs.end() ? nullptr : &*it;
}

// The min_free_kbytes a system most likely had, from its own watermarks: the
// kernel spreads min_free_kbytes over the lowmem zones in proportion to their
// managed pages, so the zones' min values add up to it (in pages).  Used for
// captures that did not record the sysctl.
int64_t min_free_kbytes_from(const std::vector<ZoneInfo>& zones) {
  uint64_t pages = 0;
  for (const auto& z : zones) pages += z.min;
  return static_cast<int64_t>(pages * 4);
}

// Captured in the domU of xen-domu-seed: memory = maxmem = 1024, `xl mem-set` 9
// pages above it right after create.  min_free_kbytes 3933 (6.12), 3917 (6.1).
struct SeedCase {
  const char* file;
  int64_t min_free_kbytes;
};

class SeedShape : public ::testing::TestWithParam<SeedCase> {};

TEST_P(SeedShape, NineManagedPagesWithZeroWatermarksAreCritical) {
  const auto zones = zones_of(GetParam().file);
  const ZoneInfo* normal = find_zone(zones, 0, "Normal");
  ASSERT_NE(normal, nullptr);
  ASSERT_EQ(normal->present, 32768u);
  ASSERT_EQ(normal->managed, 9u);
  ASSERT_EQ(normal->min, 0u);

  const auto hs = zone_hazards(zones, GetParam().min_free_kbytes);
  const Hazard* h = find(hs, "zero-watermark", "Normal");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->severity, "critical");
  EXPECT_EQ(h->nid, 0);
  EXPECT_EQ(h->evidence.at("managed"), 9u);
  EXPECT_EQ(h->evidence.at("present"), 32768u);
  EXPECT_EQ(h->evidence.at("min"), 0u);
  EXPECT_EQ(h->evidence.at("low"), 0u);
  EXPECT_EQ(h->evidence.at("high"), 0u);
  // 9 of ~250k lowmem pages: min_free_kbytes implies no reserve for this zone.
  EXPECT_EQ(h->evidence.at("expected_min"), 0u);
  EXPECT_NE(h->message.find("9 managed pages but min/low/high = 0/0/0"), std::string::npos) << h->message;
  EXPECT_NE(h->advice.find("fix-watermarks"), std::string::npos) << h->advice;
  // The seed's own hazard is raised beside it.
  EXPECT_NE(find(hs, "tiny-zone", "Normal"), nullptr);
  // Only Normal: DMA and DMA32 kept the watermarks they got at boot.
  EXPECT_EQ(zero_watermark(hs).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(XenDomU, SeedShape,
                         ::testing::Values(SeedCase{"zoneinfo-6.12-xen-domu-seed", 3933},
                                           SeedCase{"zoneinfo-6.1-xen-domu-seed", 3917}));

// The same domU after `fix-watermarks --apply`: the kernel recomputed every
// zone, and 9 pages still earn a min of 0 pages.  The hazard stays (the zone
// has no reserve) and says min_free_kbytes implies none.
TEST(ZeroWatermark, SeedShapeAfterRemedyStillHasNoReserve) {
  const auto zones = zones_of("zoneinfo-6.12-xen-domu-seed-fixed");
  const ZoneInfo* normal = find_zone(zones, 0, "Normal");
  ASSERT_NE(normal, nullptr);
  EXPECT_EQ(normal->managed, 9u);
  EXPECT_EQ(normal->min, 0u);
  const auto hs = zero_watermark(zone_hazards(zones, 3933));
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].zone, "Normal");
  EXPECT_EQ(hs[0].evidence.at("expected_min"), 0u);
  const ZoneInfo* dma32 = find_zone(zones, 0, "DMA32");
  ASSERT_NE(dma32, nullptr);
  EXPECT_GT(dma32->min, 0u);
}

// Captured in the domU of xen-domu-hotadd: memory = maxmem = 384, grown 64 MiB
// past maxmem by dom0 at run time.  The balloon hot-added a 128 MiB section and
// populated half of it: 16384 managed pages, watermarks still 0/0/0.
TEST(ZeroWatermark, LiveHotAddLeavesThousandsOfPagesWithoutReserve) {
  const auto before = zones_of("zoneinfo-6.12-xen-domu-hotadd-before");
  const ZoneInfo* nb = find_zone(before, 0, "Normal");
  EXPECT_TRUE(nb == nullptr || !nb->populated());
  EXPECT_TRUE(zero_watermark(zone_hazards(before, 2339)).empty());

  const auto after = zones_of("zoneinfo-6.12-xen-domu-hotadd-after");
  const ZoneInfo* normal = find_zone(after, 0, "Normal");
  ASSERT_NE(normal, nullptr);
  ASSERT_EQ(normal->present, 32768u);
  ASSERT_EQ(normal->managed, 16384u);
  const auto hs = zone_hazards(after, 2339);
  const Hazard* h = find(hs, "zero-watermark", "Normal");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->severity, "critical");
  EXPECT_EQ(h->evidence.at("managed"), 16384u);
  EXPECT_EQ(h->evidence.at("min"), 0u);
  // What the kernel would have given the zone had it counted the pages.
  EXPECT_GE(h->evidence.at("expected_min"), 16u);
  // Not the seed's tiny zone: half the section is populated.
  EXPECT_EQ(find(hs, "tiny-zone", "Normal"), nullptr);
  EXPECT_EQ(zero_watermark(hs).size(), 1u);
}

// The same domU after `kswaptrace fix-watermarks --apply`: non-zero watermarks
// in proportion to the zone's size, and nothing left to flag.
TEST(ZeroWatermark, RemedyClearsTheHazard) {
  const auto zones = zones_of("zoneinfo-6.12-xen-domu-hotadd-fixed");
  const ZoneInfo* normal = find_zone(zones, 0, "Normal");
  ASSERT_NE(normal, nullptr);
  EXPECT_GT(normal->min, 0u);
  EXPECT_LT(normal->min, normal->low);
  EXPECT_LT(normal->low, normal->high);
  const auto hs = zone_hazards(zones, 2339);
  EXPECT_TRUE(zero_watermark(hs).empty()) << hs.front().message;
  // min is what min_free_kbytes implies for its share of lowmem (within rounding).
  const uint64_t expect = expected_min_pages(*normal, zones, 2339, 4096);
  EXPECT_NEAR(static_cast<double>(normal->min), static_cast<double>(expect), 2.0);
}

// Healthy systems: every populated zone has the watermarks its size implies.
class Healthy : public ::testing::TestWithParam<const char*> {};

TEST_P(Healthy, NoZeroWatermarkHazard) {
  const auto zones = zones_of(GetParam());
  const auto hs = zero_watermark(zone_hazards(zones, min_free_kbytes_from(zones)));
  EXPECT_TRUE(hs.empty()) << hs.front().message;
}

INSTANTIATE_TEST_SUITE_P(Captured, Healthy,
                         ::testing::Values("zoneinfo-6.1-qemu384m", "zoneinfo-6.12-qemu384m",
                                           "zoneinfo-6.18-host",
                                           // vm.watermark_scale_factor=1000 (futile-reclaim guest): wide
                                           // gaps, but min is what min_free_kbytes implies.
                                           "zoneinfo-6.12-qemu384m-wsf1000"));

// A zone that is present but has no managed pages at all (a section whose every
// page is still in the balloon) has nothing to protect: not flagged.
TEST(ZeroWatermark, UnpopulatedBalloonSectionIsNotFlagged) {
  auto zones = zones_of("zoneinfo-6.12-xen-domu-seed");
  for (auto& z : zones)
    if (z.name == "Normal") z.managed = 0;
  EXPECT_EQ(find(zone_hazards(zones, 3933), "zero-watermark", "Normal"), nullptr);
}

}  // namespace
