#include "core/hazards.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

using namespace kst;

namespace {

ZoneInfo zone(int zid, const char* name, uint64_t present, uint64_t managed, uint64_t min, uint64_t low,
              uint64_t high, uint64_t free) {
  ZoneInfo z;
  z.zid = zid;
  z.name = name;
  z.present = z.spanned = present;
  z.managed = managed;
  z.min = min;
  z.low = low;
  z.high = high;
  z.free = free;
  return z;
}

bool has(const std::vector<Hazard>& hs, const std::string& kind, const std::string& zone) {
  return std::any_of(hs.begin(), hs.end(), [&](const Hazard& h) { return h.kind == kind && h.zone == zone; });
}

}  // namespace

// Seed 000: Xen guest, 1 GiB in DMA32, balloon hot-added a Normal zone of 9 managed pages.
TEST(Hazards, SeedShapeIsTinyAndZeroWatermark) {
  std::vector<ZoneInfo> zs = {zone(0, "DMA", 3998, 3840, 33, 41, 49, 3840),
                              zone(1, "DMA32", 258048, 241000, 2100, 2625, 3150, 5000),
                              zone(2, "Normal", 32768, 9, 0, 0, 0, 0)};
  auto hs = zone_hazards(zs, 11264);
  EXPECT_TRUE(has(hs, "tiny-zone", "Normal"));
  EXPECT_TRUE(has(hs, "zero-watermark", "Normal"));
  EXPECT_TRUE(has(hs, "small-normal", "Normal"));
  EXPECT_FALSE(has(hs, "tiny-zone", "DMA32"));
  for (const auto& h : hs)
    if (h.kind == "tiny-zone") {
      EXPECT_EQ(h.severity, "critical");
      EXPECT_NE(h.message.find("9 managed of 32768 present"), std::string::npos) << h.message;
      EXPECT_EQ(h.evidence.at("managed"), 9u);
    }
}

// Balloon populated the zone later: thousands of managed pages, watermarks still 0.
TEST(Hazards, PopulatedZoneWithZeroWatermarks) {
  std::vector<ZoneInfo> zs = {zone(1, "DMA32", 258048, 241000, 2100, 2625, 3150, 5000),
                              zone(2, "Normal", 32768, 32768, 0, 0, 0, 30000)};
  auto hs = zone_hazards(zs, 11264);
  EXPECT_FALSE(has(hs, "tiny-zone", "Normal"));
  ASSERT_TRUE(has(hs, "zero-watermark", "Normal"));
}

// Watermarks set, but far below what min_free_kbytes implies for the size.
TEST(Hazards, WatermarksFarBelowExpected) {
  std::vector<ZoneInfo> zs = {zone(1, "DMA32", 258048, 240000, 2100, 2625, 3150, 5000),
                              zone(2, "Normal", 65536, 65536, 20, 25, 30, 60000)};
  const uint64_t expect = expected_min_pages(zs[1], zs, 11264, 4096);
  EXPECT_EQ(expect, 2816u * 65536 / (240000 + 65536));
  auto hs = zone_hazards(zs, 11264);
  ASSERT_TRUE(has(hs, "zero-watermark", "Normal"));
  for (const auto& h : hs) {
    if (h.kind == "zero-watermark") {
      EXPECT_EQ(h.severity, "warning");
    }
  }
}

// A DIMM hot-add gets proper watermarks: only the notice about the small Normal zone.
TEST(Hazards, DimmHotAddShape) {
  std::vector<ZoneInfo> zs = {zone(1, "DMA32", 126976, 96000, 1000, 1250, 1500, 60000),
                              zone(2, "Normal", 32768, 32768, 340, 425, 510, 32000)};
  auto hs = zone_hazards(zs, 5632);
  EXPECT_TRUE(has(hs, "small-normal", "Normal"));
  EXPECT_FALSE(has(hs, "zero-watermark", "Normal"));
  EXPECT_FALSE(has(hs, "tiny-zone", "Normal"));
}

TEST(Hazards, RealHealthyZoneinfoHasNone) {
  for (const char* f :
       {"proc/zoneinfo-6.18-host", "proc/zoneinfo-6.1-qemu384m", "proc/zoneinfo-6.12-qemu384m"}) {
    auto zs = parse_zoneinfo(test::data_file(f));
    auto hs = zone_hazards(zs, -1);
    EXPECT_TRUE(hs.empty()) << f << ": " << (hs.empty() ? "" : hs[0].message);
  }
}

TEST(Hazards, HopelessNodeOncePerNode) {
  std::vector<ZoneInfo> zs = {zone(1, "DMA32", 100000, 90000, 1000, 1250, 1500, 900),
                              zone(2, "Normal", 200000, 190000, 2000, 2500, 3000, 1900)};
  for (auto& z : zs) z.node_unreclaimable = true;
  auto hs = zone_hazards(zs, -1);
  EXPECT_EQ(std::count_if(hs.begin(), hs.end(), [](const Hazard& h) { return h.kind == "hopeless-node"; }),
            1);
}
