// Memory hot-add tracking (issue 6): merges memory-block uevents, the kernel
// hot-add probes, Xen balloon samples and zoneinfo samples into one HotAdd
// finding per hot-add (or hot-remove) episode, with the zones before/after
// and the hazards the new zone shape carries.
//
// Pure core: fed with Events (live, replayed or synthetic), no I/O. An
// episode opens on the first hot-add signal, grows while signals keep
// coming, and settles `settle_ns` after the last one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/hazards.h"
#include "core/zones.h"

namespace kst {

// Source names, shared by SourceInfo::hotadd_sources, HotAdd::sources and
// HotAddTracker::events_by_source().
namespace hotadd_source {
inline constexpr const char* kUevent = "uevent";
inline constexpr const char* kAddMemory = "add_memory_resource";
inline constexpr const char* kOnlinePages = "online_pages";
inline constexpr const char* kSetupWmarks = "setup_per_zone_wmarks";
inline constexpr const char* kTpWmarks = "kmem:mm_setup_per_zone_wmarks";
inline constexpr const char* kTpLowmem = "kmem:mm_setup_per_zone_lowmem_reserve";
inline constexpr const char* kBalloon = "xen-balloon";
inline constexpr const char* kZoneinfo = "zoneinfo";
}  // namespace hotadd_source

struct ZoneCounters {
  bool exists = false;
  uint64_t present = 0, managed = 0, spanned = 0, start_pfn = 0;
  uint64_t min = 0, low = 0, high = 0;
};

struct HotAddZone {
  int32_t nid = 0;
  std::string zone;
  bool joined = false;    // present grew: the new memory landed here
  bool new_zone = false;  // unpopulated (or absent) before
  ZoneCounters before, after;
  int64_t present_delta() const {
    return static_cast<int64_t>(after.present) - static_cast<int64_t>(before.present);
  }
  int64_t managed_delta() const {
    return static_cast<int64_t>(after.managed) - static_cast<int64_t>(before.managed);
  }
};

struct HotAddBlock {
  uint64_t block = 0;
  std::vector<std::string> actions;            // in order: "add", "online", ...
  std::string phys_index, state, valid_zones;  // sysfs, latest values seen
};

struct HotAdd {
  uint64_t id = 0;               // 1, 2, ... per tracker
  std::string kind = "hot-add";  // or "hot-remove"
  TimeNs first_ns = 0, last_ns = 0;
  bool settled = false;  // false: signals were still arriving at the end of the window
  std::vector<HotAddBlock> blocks;
  uint64_t block_size = 0;
  bool has_range = false;
  uint64_t phys_start = 0, phys_end = 0;  // bytes, [start, end)
  int32_t nid = -1;
  std::string zone;  // the zone the memory joined ("" when unknown)
  // pages, summed over the changed zones; HotAddZone has them per zone (a Xen
  // balloon may refill pages below its boot limit in DMA32 in the same episode)
  int64_t present_delta = 0, managed_delta = 0;
  uint64_t pages_onlined = 0;     // from online_pages() probes
  bool have_zoneinfo = false;     // before and after samples both seen
  std::vector<HotAddZone> zones;  // zones that changed
  std::optional<BalloonSample> balloon_before, balloon_after;
  std::set<std::string> sources;  // hotadd_source names that saw it
  uint32_t wmark_updates = 0;     // watermark recomputations seen by probes
  std::vector<Hazard> hazards;    // evaluated on the latest "after" state
};

struct HotAddOptions {
  TimeNs settle_ns = 3'000'000'000ull;
  uint32_t page_size = 4096;
};

class HotAddTracker {
 public:
  explicit HotAddTracker(HotAddOptions o = {});

  void on(TimeNs ts, const MemoryBlockEvent& e);
  void on(TimeNs ts, const HotplugCall& e);
  void on(TimeNs ts, const BalloonSample& e);
  void on(TimeNs ts, const ZoneSample& e);
  // Settles an episode that has been quiet for settle_ns by `now`.
  void advance(TimeNs now);

  // Settled findings, then the open one (settled = false), hazards included.
  std::vector<HotAdd> findings() const;
  // Findings settled since the last call (for `watch` and live alerts).
  std::vector<HotAdd> take_settled();
  // The episode in progress, if any, as it stands now (hazards flagged as
  // soon as an "after" zone sample shows them).
  std::optional<HotAdd> open() const;

  // Events seen per hotadd_source name (including ones that opened nothing).
  const std::map<std::string, uint64_t>& events_by_source() const { return seen_; }

 private:
  struct Episode {
    HotAdd h;
    std::optional<ZoneSample> before, after;
    std::vector<HotplugCall> calls;
  };
  Episode& ensure(TimeNs ts);
  void touch(Episode& ep, TimeNs ts) const;
  HotAdd finalize(const Episode& ep) const;

  HotAddOptions opt_;
  uint64_t next_id_ = 1;
  std::optional<Episode> open_;
  std::vector<HotAdd> settled_;
  size_t taken_ = 0;
  std::optional<ZoneSample> last_zones_;
  std::optional<BalloonSample> last_balloon_;
  std::optional<BalloonSample> balloon_prev_;  // the value before the last change
  TimeNs balloon_changed_ns_ = 0;
  std::map<std::string, uint64_t> seen_;
};

// The hazard rule after a hot-add: applied to the "after" state of the zones
// the memory joined. `all` is the whole after sample (for expected watermarks).
std::vector<Hazard> hotadd_hazards(const HotAdd& h, const std::vector<ZoneInfo>& all, int64_t min_free_kbytes,
                                   uint32_t page_size);

}  // namespace kst
