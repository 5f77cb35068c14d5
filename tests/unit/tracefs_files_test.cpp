// The tracefs backend's file helpers on plain directories and strings.
#include "sources/tracefs/tracefs_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace kst {
namespace {

TEST(TracefsFiles, InstanceOwnerAcceptsOnlyOurNames) {
  int pid = 0;
  EXPECT_TRUE(instance_owner("kswaptrace-1234", &pid));
  EXPECT_EQ(pid, 1234);
  for (const char* bad : {"kswaptrace-", "kswaptrace-12a", "kswaptrace-0", "kswaptrace--1", "trace-cmd-5",
                          "kswaptrace-99999999999", "kswaptrace-4294967296", "xkswaptrace-12"})
    EXPECT_FALSE(instance_owner(bad, &pid)) << bad;
}

TEST(TracefsFiles, GfpBitFromShiftsOfNewKernels) {
  const std::string fmt =
      R"({( unsigned long)(( gfp_t)((((1UL))) << (3))), "__GFP_MOVABLE"}, )"
      R"({( unsigned long)(( gfp_t)(((((1UL))) << (10))|((((1UL))) << (11)))), "__GFP_RECLAIM"}, )"
      R"({( unsigned long)(( gfp_t)((((1UL))) << (10))), "__GFP_DIRECT_RECLAIM"}, )";
  EXPECT_EQ(gfp_bit_from_print_fmt(fmt, "__GFP_DIRECT_RECLAIM"), 10u);
  EXPECT_EQ(gfp_bit_from_print_fmt(fmt, "__GFP_MOVABLE"), 3u);
  EXPECT_EQ(gfp_bit_from_print_fmt(fmt, "__GFP_HIGH"), std::nullopt);
}

TEST(TracefsFiles, GfpBitFromConstantsOfOldKernels) {
  // 4.4's mm_page_alloc print format lists flags as constants
  const std::string fmt = R"({(unsigned long)0x08u, "__GFP_MOVABLE"}, {(unsigned long)0x400000u, )"
                          R"("__GFP_DIRECT_RECLAIM"}, {(unsigned long)0x3u, "__GFP_TWO_BITS"})";
  EXPECT_EQ(gfp_bit_from_print_fmt(fmt, "__GFP_DIRECT_RECLAIM"), 22u);
  EXPECT_EQ(gfp_bit_from_print_fmt(fmt, "__GFP_MOVABLE"), 3u);
  EXPECT_EQ(gfp_bit_from_print_fmt(fmt, "__GFP_TWO_BITS"), std::nullopt);  // not one bit
}

TEST(TracefsFiles, LostEventsSumOverrunAndDroppedOverCpus) {
  char tmpl[] = "/tmp/kst-tracefs-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  const std::string dir = tmpl;
  ASSERT_EQ(mkdir((dir + "/per_cpu").c_str(), 0755), 0);
  for (int c = 0; c < 2; c++) {
    const std::string cd = dir + "/per_cpu/cpu" + std::to_string(c);
    ASSERT_EQ(mkdir(cd.c_str(), 0755), 0);
    std::ofstream(cd + "/stats") << "entries: 5\noverrun: " << 10 * (c + 1) << "\ncommit overrun: 7\n"
                                 << "bytes: 100\ndropped events: " << c + 1 << "\nread events: 3\n";
  }
  EXPECT_EQ(instance_lost_events(dir), 10u + 20u + 1u + 2u);
  EXPECT_EQ(system(("rm -rf " + dir).c_str()), 0);
}

}  // namespace
}  // namespace kst
