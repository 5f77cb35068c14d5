#include "core/watermark_diff.h"

#include <gtest/gtest.h>

using namespace kst;

// Measured in a Xen PV dom0 on 6.12 after a 128 MiB balloon hot-add:
// Normal 0/0/0 -> 168/210/252 once vm.watermark_scale_factor was rewritten.
TEST(WatermarkDiff, BalloonZoneRecomputed) {
  ZoneInfo dma32, normal;
  dma32.name = "DMA32";
  dma32.present = dma32.managed = 90000;
  dma32.min = 460;
  dma32.low = 575;
  dma32.high = 690;
  normal.name = "Normal";
  normal.present = normal.managed = 32768;
  std::vector<ZoneInfo> before = {dma32, normal};
  std::vector<ZoneInfo> after = before;
  after[1].min = 168;
  after[1].low = 210;
  after[1].high = 252;
  auto rows = diff_watermarks(before, after);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].changed());
  EXPECT_TRUE(rows[1].changed());
  EXPECT_EQ(rows[1].min_before, 0u);
  EXPECT_EQ(rows[1].high_after, 252u);
}

TEST(WatermarkDiff, SkipsEmptyAndUnmatchedZones) {
  ZoneInfo empty, movable;
  empty.name = "Movable";
  movable.name = "Normal";
  movable.present = 10;
  auto rows = diff_watermarks({}, {empty, movable});
  EXPECT_TRUE(rows.empty());
}
