#include "sources/procfs/host_identity_reader.h"

#include <sys/utsname.h>
#include <time.h>

#include "sources/procfs/procfs.h"

namespace kst {
namespace {

int64_t clock_ns(clockid_t c) {
  timespec ts{};
  clock_gettime(c, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

int64_t realtime_now_ns() { return clock_ns(CLOCK_REALTIME); }

HostIdentity live_host_identity() {
  HostIdentity h;
  utsname u{};
  if (::uname(&u) == 0) {
    h.hostname = u.nodename;
    h.kernel_release = u.release;
  }
  if (auto id = read_text_file("/proc/sys/kernel/random/boot_id", nullptr, 256)) {
    h.boot_id = *id;
    while (!h.boot_id.empty() && (h.boot_id.back() == '\n' || h.boot_id.back() == ' ')) h.boot_id.pop_back();
  }
  // the offset is re-read per call: settimeofday/NTP steps move the wall
  // clock, and an interval line should carry the time it was printed at
  const int64_t mono = clock_ns(CLOCK_MONOTONIC);
  h.realtime_offset_ns = clock_ns(CLOCK_REALTIME) - mono;
  return h;
}

}  // namespace kst
