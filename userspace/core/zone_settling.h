// Which zones are still changing size. While memory is onlined (a DIMM, a
// Xen balloon growing) a zone's present and managed pages move for seconds:
// on 6.12 a new balloon block shows 0 of 32768 pages managed for a moment.
// A hazard read from such a sample describes a passing state, so hazards
// (and the TINY-ZONE verdict) wait until the zone has been stable a while.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/hazards.h"
#include "core/zones.h"

namespace kst {

struct SettlingZone {
  int32_t nid = 0;
  std::string zone;
  uint64_t present = 0, managed = 0;  // the latest sample
  TimeNs changed_ns = 0;              // when present or managed last changed
};

class ZoneSettling {
 public:
  // 5 s: several samples at the default 1 s interval, and beyond the Xen
  // balloon worker's 1 s step while it grows (drivers/xen/balloon.c,
  // balloon_stats.schedule_delay); a balloon backing off after failures
  // (up to 32 s) can still change a zone later, which then settles again.
  static constexpr TimeNs kDefaultDelayNs = 5'000'000'000ull;

  explicit ZoneSettling(TimeNs delay_ns = kDefaultDelayNs) : delay_ns_(delay_ns) {}

  // A zone sample at TS. A zone first seen in the first sample counts as
  // settled (nothing says otherwise); one that appears later, or whose
  // present or managed pages differ from the previous sample, changed at TS.
  void on(TimeNs ts, const std::vector<ZoneInfo>& zones);

  bool settling(int32_t nid, const std::string& zone, TimeNs now) const;
  std::vector<SettlingZone> settling_zones(TimeNs now) const;

  // HAZARDS without those on a zone that is settling at NOW (a node-wide
  // hazard, with no zone, waits while any zone of its node settles).
  std::vector<Hazard> settled_only(std::vector<Hazard> hazards, TimeNs now) const;

  TimeNs delay_ns() const { return delay_ns_; }

 private:
  struct Entry {
    uint64_t present = 0, managed = 0;
    TimeNs changed_ns = 0;
    bool changed = false;  // ever changed after the first sample
  };
  TimeNs delay_ns_;
  bool seen_any_ = false;
  std::map<std::pair<int32_t, std::string>, Entry> zones_;
};

}  // namespace kst
