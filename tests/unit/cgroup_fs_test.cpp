// Finding the memory cgroup hierarchy in mountinfo (sources/cgroup).
#include "sources/cgroup/cgroup_fs.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace kst {
namespace {

std::string write_tmp(const std::string& text) {
  char path[] = "/tmp/kst-mountinfo.XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(CgroupFs, V1MemoryHierarchyIsFoundAmongOtherControllers) {
  const std::string p = write_tmp(
      "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "34 30 0:31 / /sys/fs/cgroup/mem\\040ory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  const auto h = find_memcg_hierarchy(p);
  unlink(p.c_str());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->version, 1);
  EXPECT_EQ(h->mount, "/sys/fs/cgroup/mem ory");  // mountinfo's octal escape undone
}

TEST(CgroupFs, NoMemoryControllerAnywhereIsNone) {
  const std::string p = write_tmp(
      "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,memory_pressure\n"
      "garbage line\n"
      "1 2 3\n");
  EXPECT_FALSE(find_memcg_hierarchy(p));
  unlink(p.c_str());
  EXPECT_FALSE(find_memcg_hierarchy("/nonexistent/mountinfo"));
}

}  // namespace
}  // namespace kst
