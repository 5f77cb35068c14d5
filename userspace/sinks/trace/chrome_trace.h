// Events -> Chrome/Perfetto trace-event JSON (the "JSON Array/Object
// Format" that chrome://tracing and ui.perfetto.dev open):
//   kswapd awake episodes   "X" slices, process "kswapd", one thread per node
//   direct/memcg reclaim    "X" slices, process "direct reclaim", one thread per task
//   counters                free pages per zone, page allocations/s, kswapd
//                           wakeup requests/s per node, lost ring-buffer records
//   instant events          memory-block uevents and hot-add calls (process
//                           "memory hot-add"); Xen balloon target/current as counters
// Pure: events in, JSON out.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/event.h"

namespace kst {

class ChromeTraceBuilder {
 public:
  // Trace timestamps are microseconds after `origin` (the recording start).
  explicit ChromeTraceBuilder(TimeNs origin);

  void on_event(const Event& e);
  // A global instant (a line across every track; category "recording"):
  // where a run of a restarted recorder began or ended.
  void mark(const std::string& name, TimeNs ts, const nlohmann::json& args);
  // Closes episodes still open at `end` and returns the whole trace.
  // `other` lands in "otherData" (recording facts shown in Perfetto's info).
  nlohmann::json finish(TimeNs end, const nlohmann::json& other = nlohmann::json::object());

 private:
  double us(TimeNs ts) const;
  void thread_name(int pid, int64_t tid, const std::string& name);
  void counter(const std::string& name, TimeNs ts, const nlohmann::json& args);
  // pid -1: the hot-add process, process-wide; otherwise on thread tid of pid
  void instant(const std::string& name, TimeNs ts, const nlohmann::json& args, int pid = -1, int64_t tid = 0,
               const char* cat = "hotadd");

  struct Awake {
    TimeNs since = 0;
    uint64_t passes = 0;
    int32_t order = 0, zid = -1;
  };
  TimeNs origin_;
  nlohmann::json events_ = nlohmann::json::array();
  std::map<int32_t, Awake> awake_;              // by node
  std::map<int64_t, std::string> named_tasks_;  // direct-reclaim threads named so far
  std::map<int32_t, bool> named_nodes_;
  std::map<int32_t, uint64_t> wakeup_requests_;            // since the last sample, by node
  std::optional<std::pair<TimeNs, uint64_t>> last_alloc_;  // ts, cumulative pages
  TimeNs last_wakeup_sample_ = 0;
  std::optional<uint64_t> first_drops_;
};

}  // namespace kst
