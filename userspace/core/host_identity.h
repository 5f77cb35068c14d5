// Which machine, which boot and when: the identity every JSON object a
// command prints carries (its envelope, sinks/json/envelope.h), so output
// can be lined up with dmesg, logs and dashboards (issue 18).
#pragma once

#include <cstdint>
#include <string>

namespace kst {

struct HostIdentity {
  std::string hostname;        // uname nodename (untrusted text for a recording's)
  std::string boot_id;         // /proc/sys/kernel/random/boot_id
  std::string kernel_release;  // uname release
  // CLOCK_REALTIME - CLOCK_MONOTONIC in ns: wall time of a monotonic stamp
  // (event timestamps are CLOCK_MONOTONIC, as bpf_ktime_get_ns()).
  int64_t realtime_offset_ns = 0;

  int64_t wall_ns(uint64_t monotonic_ns) const {
    return static_cast<int64_t>(monotonic_ns) + realtime_offset_ns;
  }
};

// RFC 3339 in UTC with milliseconds: "2026-12-05T05:25:01.123Z".
std::string rfc3339_utc(int64_t realtime_ns);
// "05:25:01" in UTC: the -T column of interval output.
std::string hms_utc(int64_t realtime_ns);
// Local "YYYY-MM-DD HH:MM:SS.mmm": the text reports' and recordings' wall time.
std::string local_time_ns(int64_t realtime_ns);

}  // namespace kst
