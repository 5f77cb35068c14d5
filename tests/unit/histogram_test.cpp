#include "core/histogram.h"

#include <gtest/gtest.h>

using kst::Log2Histogram;

TEST(Log2Histogram, SlotBoundaries) {
  EXPECT_EQ(Log2Histogram::slot_of(0), 0);
  EXPECT_EQ(Log2Histogram::slot_of(1), 0);
  EXPECT_EQ(Log2Histogram::slot_of(2), 1);
  EXPECT_EQ(Log2Histogram::slot_of(3), 1);
  EXPECT_EQ(Log2Histogram::slot_of(4), 2);
  EXPECT_EQ(Log2Histogram::slot_of(1023), 9);
  EXPECT_EQ(Log2Histogram::slot_of(1024), 10);
  EXPECT_EQ(Log2Histogram::slot_of(UINT64_MAX), 63);
  EXPECT_EQ(Log2Histogram::slot_low(0), 0u);
  EXPECT_EQ(Log2Histogram::slot_high(0), 1u);
  EXPECT_EQ(Log2Histogram::slot_low(10), 1024u);
  EXPECT_EQ(Log2Histogram::slot_high(10), 2047u);
}

TEST(Log2Histogram, CountsSumMax) {
  Log2Histogram h;
  for (uint64_t v : {1, 5, 6, 7, 100}) h.add(v);
  EXPECT_EQ(h.total(), 5u);
  EXPECT_EQ(h.sum(), 119u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_EQ(h.count(2), 3u);
  EXPECT_EQ(h.count(6), 1u);
  EXPECT_EQ(h.last_slot(), 6);
  EXPECT_EQ(h.quantile_upper(0.5), 7u);
  EXPECT_EQ(h.quantile_upper(1.0), 100u);
}

TEST(Log2Histogram, RenderGolden) {
  Log2Histogram h;
  h.add(0);
  h.add(3);
  h.add(3);
  h.add(5);
  h.add(6);
  h.add(7);
  h.add(4);
  const std::string want =
      "                   usecs : count    distribution\n"
      "         0 -> 1          : 1        |**********                              |\n"
      "         2 -> 3          : 2        |********************                    |\n"
      "         4 -> 7          : 4        |****************************************|\n";
  EXPECT_EQ(h.render("usecs"), want);
}

TEST(Log2Histogram, EmptyRendersNothing) {
  Log2Histogram h;
  EXPECT_EQ(h.render("usecs"), "");
  EXPECT_EQ(h.quantile_upper(0.9), 0u);
}

TEST(Log2Histogram, Merge) {
  Log2Histogram a, b;
  a.add(2);
  b.add(2);
  b.add(1000);
  a.merge(b);
  EXPECT_EQ(a.total(), 3u);
  EXPECT_EQ(a.count(1), 2u);
  EXPECT_EQ(a.max(), 1000u);
}
