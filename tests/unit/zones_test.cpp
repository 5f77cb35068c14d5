#include "core/zones.h"

#include <gtest/gtest.h>

#include "test_util.h"

using namespace kst;

TEST(Zoneinfo, Host618) {
  auto zones = parse_zoneinfo(test::data_file("proc/zoneinfo-6.18-host"));
  ASSERT_EQ(zones.size(), 5u);
  EXPECT_EQ(zones[0].name, "DMA");
  EXPECT_EQ(zones[2].name, "Normal");
  EXPECT_EQ(zones[2].zid, 2);
  EXPECT_EQ(zones[0].min, 37u);
  EXPECT_EQ(zones[0].low, 46u);
  EXPECT_EQ(zones[0].high, 55u);  // not the per-cpu pageset "high:"
  EXPECT_EQ(zones[0].managed, 3840u);
  EXPECT_EQ(zones[0].present, 3998u);
  EXPECT_EQ(zones[0].spanned, 4095u);
  EXPECT_TRUE(zones[0].has_start_pfn);
  EXPECT_EQ(zones[0].start_pfn, 1u);
  EXPECT_EQ(zones[1].start_pfn, 4096u);
  ASSERT_EQ(zones[0].protection.size(), 5u);
  EXPECT_EQ(zones[0].protection[1], 3018u);
  EXPECT_EQ(zones[0].stat("nr_free_cma", 99), 0u);
  EXPECT_FALSE(zones[2].node_unreclaimable);
  EXPECT_FALSE(zones[3].populated());  // Movable
}

TEST(Zoneinfo, Debian61Guest) {
  auto zones = parse_zoneinfo(test::data_file("proc/zoneinfo-6.1-qemu384m"));
  const ZoneInfo* dma32 = find_zone(zones, 0, "DMA32");
  ASSERT_NE(dma32, nullptr);
  EXPECT_EQ(dma32->managed, 80503u);
  EXPECT_EQ(dma32->min, 546u);
  EXPECT_GT(dma32->high, dma32->low);
  const ZoneInfo* normal = find_zone(zones, 0, "Normal");
  ASSERT_NE(normal, nullptr);
  EXPECT_FALSE(normal->populated());
}

TEST(Zoneinfo, Debian612GuestWithBuddyinfo) {
  auto zones = parse_zoneinfo(test::data_file("proc/zoneinfo-6.12-qemu384m"));
  merge_buddyinfo(zones, parse_buddyinfo(test::data_file("proc/buddyinfo-6.12-qemu384m")));
  const ZoneInfo* dma32 = find_zone(zones, 0, "DMA32");
  ASSERT_NE(dma32, nullptr);
  ASSERT_EQ(dma32->free_blocks.size(), 11u);
  EXPECT_EQ(dma32->free_blocks[0], 24u);
  EXPECT_EQ(dma32->free_blocks[10], 72u);
  // buddyinfo and zoneinfo were read a moment apart: free pages agree closely
  uint64_t pages = 0;
  for (size_t o = 0; o < dma32->free_blocks.size(); o++) pages += dma32->free_blocks[o] << o;
  EXPECT_NEAR(static_cast<double>(pages), static_cast<double>(dma32->free), 0.02 * dma32->free);
}

// The 4.4 layout (mm/vmstat.c zoneinfo_show_print of v4.4): "scanned" and
// the per-zone counters inside the zone, "all_unreclaimable" after pagesets.
TEST(Zoneinfo, Linux44Layout) {
  const char* text =
      "Node 0, zone   Normal\n"
      "  pages free     1\n"
      "        min      0\n"
      "        low      0\n"
      "        high     0\n"
      "        scanned  0\n"
      "        spanned  32768\n"
      "        present  32768\n"
      "        managed  9\n"
      "    nr_free_pages 1\n"
      "    nr_inactive_file 3\n"
      "        protection: (0, 0, 0, 0)\n"
      "  pagesets\n"
      "    cpu: 0\n"
      "              count: 0\n"
      "              high:  0\n"
      "              batch: 1\n"
      "  vm stats threshold: 2\n"
      "  all_unreclaimable: 0\n"
      "  start_pfn:         1048576\n"
      "  inactive_ratio:    1\n";
  auto zones = parse_zoneinfo(text);
  ASSERT_EQ(zones.size(), 1u);
  EXPECT_EQ(zones[0].managed, 9u);
  EXPECT_EQ(zones[0].present, 32768u);
  EXPECT_EQ(zones[0].high, 0u);
  EXPECT_EQ(zones[0].start_pfn, 1048576u);
  EXPECT_EQ(zones[0].stat("nr_inactive_file"), 3u);
}

TEST(Zoneinfo, RejectsGarbage) {
  EXPECT_THROW(parse_zoneinfo(""), ParseError);
  EXPECT_THROW(parse_zoneinfo("hello world\n"), ParseError);
  EXPECT_THROW(parse_zoneinfo("Node 0, zone DMA\n protection: (0, x)\n"), ParseError);
}

TEST(Buddyinfo, ParsesAndRejects) {
  auto rows = parse_buddyinfo(test::data_file("proc/buddyinfo-6.18-host"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].zone, "Normal");
  EXPECT_EQ(rows[2].free_blocks.size(), 11u);
  EXPECT_THROW(parse_buddyinfo("Node 0, zone DMA 1 2 x\n"), ParseError);
  EXPECT_THROW(parse_buddyinfo("garbage\n"), ParseError);
  EXPECT_THROW(parse_buddyinfo(""), ParseError);
}
