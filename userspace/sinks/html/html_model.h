// The one place that maps the report JSON (`report --json`, the shape of
// sinks/json/json_report and docs/output.md) to what the HTML page shows.
// Every number on the page comes from here, with the JSON path it was read
// from, so the page carries data-json="PATH" data-v="VALUE" for each and a
// test can check the page against `report --json`. Fields are read
// defensively: a missing or renamed field leaves a blank, never a throw;
// where a field has had more than one name, all are tried here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/event.h"

namespace kst {

struct Num {
  double v = 0;
  std::string path;  // dotted JSON path ("nodes.0.kswapd.wakes"); empty: absent
  bool ok() const { return !path.empty(); }
};

// Facts the caller knows when the JSON lacks them (the recording header,
// the live host), and the window start for absolute timestamps.
struct PageContext {
  std::string host, recording_id, window_from, window_to, tool_version;
  TimeNs window_start = 0;
};

struct PageModel {
  std::string host, kernel, recording_id, window_from, window_to, backend, tool_version;
  Num duration_s, lost_events, reclaim_unpaired;
  bool damaged = false;
  Num bad_blocks, torn_blocks, skipped_bytes;
  std::vector<std::string> damage_warnings, degraded;

  struct Node {
    int nid = 0;
    Num wakes, episodes, awake_s, duty_cycle, longest_episode_s, wakeup_requests, cpu_pct;
  };
  std::vector<Node> nodes;

  struct Bucket {
    double low = 0, high = 0;
    uint64_t count = 0;
  };
  struct Reclaim {
    Num count, reclaimed_pages, total_ms, max_us;
    std::vector<Bucket> buckets;
  };
  Reclaim direct, memcg;
  struct Comm {
    std::string comm;
    Num count, total_ms, reclaimed;
  };
  std::vector<Comm> top_commands;

  struct Zone {
    int nid = 0;
    std::string zone;
    Num free, min, low, high, managed, present;
  };
  std::vector<Zone> zones;
  Num min_free_kbytes;
  struct Hazard {
    std::string kind, severity, zone, message, advice;
    int nid = 0;
  };
  std::vector<Hazard> hazards;
  struct HotAdd {
    std::string kind, zone, range;
    int id = 0, nid = -1;
    double start_s = 0, duration_s = 0;
    bool settled = false;
    Num present_delta, pages_onlined;
    std::vector<Hazard> hazards;
  };
  std::vector<HotAdd> hotadd;

  struct Verdict {
    std::string kind, severity, state, message, advice;
    int nid = 0;
    double t = 0;  // seconds after the window start: the change (recorded) or the onset
    std::vector<std::pair<std::string, std::string>> evidence;
  };
  std::vector<Verdict> verdicts;           // in force at the end, then pending (the one-shot's detector)
  std::vector<Verdict> recorded_verdicts;  // raised/cleared as `record` saw them; state "active"/"cleared"
  struct Band {
    std::string kind, severity;
    int nid = 0;
    double from_s = 0, to_s = 0;
    bool open = false;  // still in force at the end
  };
  std::vector<Band> bands;  // verdict bands over the window, per node

  bool alloc_available = false;
  Num alloc_calls, alloc_pages, alloc_pages_per_s;
  struct Order {
    int order = 0;
    Num calls, pages, pages_per_s;
  };
  std::vector<Order> alloc_by_order;
};

PageModel page_model(const nlohmann::json& report, const PageContext& ctx);

}  // namespace kst
