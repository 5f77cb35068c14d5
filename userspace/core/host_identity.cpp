#include "core/host_identity.h"

#include <cstdio>
#include <ctime>

namespace kst {
namespace {

tm utc_tm(int64_t realtime_ns) {
  // floor division: a time before 1970 still formats (a corrupt recording)
  int64_t sec = realtime_ns / 1000000000;
  if (realtime_ns < 0 && realtime_ns % 1000000000) sec--;
  const time_t t = static_cast<time_t>(sec);
  tm out{};
  gmtime_r(&t, &out);
  return out;
}

int millis(int64_t realtime_ns) {
  int64_t ms = (realtime_ns / 1000000) % 1000;
  return static_cast<int>(ms < 0 ? ms + 1000 : ms);
}

}  // namespace

std::string rfc3339_utc(int64_t realtime_ns) {
  const tm t = utc_tm(realtime_ns);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, millis(realtime_ns));
  return buf;
}

std::string hms_utc(int64_t realtime_ns) {
  const tm t = utc_tm(realtime_ns);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", t.tm_hour, t.tm_min, t.tm_sec);
  return buf;
}

std::string local_time_ns(int64_t realtime_ns) {
  const time_t sec = static_cast<time_t>(realtime_ns / 1000000000);
  tm t{};
  localtime_r(&sec, &t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &t);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>((realtime_ns / 1000000) % 1000));
  return out;
}

}  // namespace kst
