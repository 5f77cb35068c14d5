// What the analysis core concludes about a window of events. Sinks render
// this (text, JSON); they never see raw kernel data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/hazards.h"
#include "core/histogram.h"
#include "core/hotadd_tracker.h"
#include "core/reclaim_tracker.h"
#include "core/trace_scope.h"
#include "core/verdict.h"
#include "core/zone_settling.h"
#include "core/zones.h"

namespace kst {

struct WakeupRequestRow {
  int32_t zid = 0;
  std::string zone;  // name from zoneinfo, or "zid N"
  int32_t order = 0;
  uint64_t count = 0;
};

struct KswapdNodeSummary {
  int32_t nid = 0;
  uint64_t wakes = 0, sleeps = 0, rewakes = 0, episodes = 0;
  double awake_s = 0, duty_cycle = 0;
  bool awake_at_end = false;
  double open_episode_s = 0;  // length so far of the episode still running at the end
  double longest_episode_s = 0;
  Log2Histogram episode_us;
  uint64_t wakeup_requests = 0;
  std::vector<WakeupRequestRow> requests;
  bool have_shrink = false;
  ShrinkStat kswapd_shrink, other_shrink;  // deltas over the window
  double efficiency = 0;                   // kswapd reclaimed / scanned
  bool have_cpu = false;
  double cpu_s = 0, cpu_pct = 0;
};

struct AllocRow {
  std::string key;
  uint64_t calls = 0, pages = 0;
  double pages_per_s = 0;
};

struct AllocSummary {
  bool available = false;
  uint64_t total_calls = 0, total_pages = 0;
  double pages_per_s = 0;
  std::vector<AllocRow> by_order, by_migratetype, by_zone, by_gfp_class;
  // Pages the kernel's bulk allocator hands out (alloc_pages_bulk*, 5.13+)
  // fire no kmem:mm_page_alloc, so the tracepoint undercounts by them; the
  // pgalloc counters include them. Without a probe on the bulk allocator the
  // gap is shown, not hidden: pgalloc delta minus traced pages (it can be
  // slightly negative: the trace window overhangs the vmstat one).
  bool bulk_applies = false;  // kernel has a bulk allocator and vmstat was sampled
  bool bulk_counted = false;  // a probe counted bulk pages into the totals
  int64_t pgalloc_minus_traced = 0;
};

struct Summary {
  SourceInfo source;
  TraceScope scope;
  TimeNs start = 0, end = 0;
  double duration_s = 0;
  std::vector<KswapdNodeSummary> nodes;
  DirectReclaimState direct;
  AllocSummary alloc;
  bool have_vmstat = false;
  std::map<std::string, uint64_t> vmstat_delta;  // reclaim-related counters
  std::vector<ZoneInfo> zones;                   // last zone sample
  int64_t min_free_kbytes = -1;
  std::vector<Hazard> hazards;  // on settled zones only
  // Zones whose present or managed pages changed in the last settle_delay_s
  // at the window's end: their hazards wait until they are stable.
  std::vector<SettlingZone> settling;
  double settle_delay_s = 0;
  uint64_t lost_events = 0;                       // ring-buffer reserve failures in the window
  uint64_t reclaim_unpaired = 0;                  // reclaim ends without a begin (started before attach)
  std::vector<HotAdd> hotadd;                     // memory hot-add/remove episodes (issue 6)
  std::map<std::string, uint64_t> hotadd_events;  // events seen per hot-add source
  bool have_verdicts = false;                     // the detector ran over this window
  std::vector<Verdict> verdicts;                  // detector verdicts in force at the end, then pending ones
  // verdict changes `record` wrote as it ran (replays only; the one-shot has none)
  std::vector<std::pair<TimeNs, VerdictChange>> recorded_verdicts;
};

const char* gfp_class_name(uint8_t cls);
std::string migratetype_name(const SourceInfo& src, uint8_t mt);

}  // namespace kst
