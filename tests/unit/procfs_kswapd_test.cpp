// kswapd CPU sampling from a fake /proc: found by comm, cached between
// calls, rescanned when a cached thread disappears.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sources/procfs/procfs.h"

using namespace kst;
namespace fs = std::filesystem;

namespace {

void task(const fs::path& root, int pid, const char* comm, unsigned utime, unsigned stime) {
  const fs::path dir = root / "proc" / std::to_string(pid);
  fs::create_directories(dir);
  std::ofstream(dir / "comm") << comm << "\n";
  std::ofstream(dir / "stat") << pid << " (" << comm << ") S 2 0 0 0 -1 2129984 0 0 0 0 " << utime << " "
                              << stime << " 0 0 20 0 1 0 100 0 0\n";
}

}  // namespace

TEST(ProcReader, KswapdCpuFoundCachedAndRescanned) {
  const fs::path root = fs::temp_directory_path() / ("kst-proc-" + std::to_string(getpid()));
  fs::remove_all(root);
  task(root, 99, "bash", 500, 500);
  task(root, 70, "kswapd0", 100, 300);
  ProcReader r(root.string());
  const uint64_t tick_ns = 1000000000ull / (sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100);
  auto s = r.kswapd_cpu();
  ASSERT_EQ(s.threads.size(), 1u);
  EXPECT_EQ(s.threads[0].nid, 0);
  EXPECT_EQ(s.threads[0].pid, 70);
  EXPECT_EQ(s.threads[0].cpu_ns, 400 * tick_ns);

  task(root, 70, "kswapd0", 200, 300);  // cached pid, new CPU time
  task(root, 71, "kswapd1", 1, 1);      // not seen until a rescan
  s = r.kswapd_cpu();
  ASSERT_EQ(s.threads.size(), 1u);
  EXPECT_EQ(s.threads[0].cpu_ns, 500 * tick_ns);

  fs::remove_all(root / "proc" / "70");  // the cached thread is gone: full scan
  s = r.kswapd_cpu();
  ASSERT_EQ(s.threads.size(), 1u);
  EXPECT_EQ(s.threads[0].nid, 1);
  fs::remove_all(root);
}
