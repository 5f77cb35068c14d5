// Events -> Chrome/Perfetto trace-event JSON (the "JSON Array/Object
// Format" that chrome://tracing and ui.perfetto.dev open), written as the
// events arrive: memory stays bounded by the tasks and nodes seen, not by the
// number of events.
//   kswapd awake episodes   "X" slices on each node's kswapd thread, under its
//                           real pid (from the recording's kswapd CPU samples)
//   direct/memcg reclaim    "X" slices on the reclaiming task's real tid
//   counters                free pages per zone, page allocations/s, kswapd
//                           wakeup requests/s per node, lost ring-buffer records
//   instant events          memory-block uevents and hot-add calls (process
//                           "memory hot-add"); Xen balloon target/current as counters
// Real pids are the kernel's; the trace's own tracks (counters, hot-add,
// recording marks) and a kswapd whose pid the recording lacks use pids above
// PID_MAX_LIMIT (2^22, include/linux/threads.h), which no task can have, so
// the trace merges with a system trace without collisions.
// Pure: events in, JSON text out.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "core/event.h"

namespace kst {

class ChromeTraceBuilder {
 public:
  // Trace timestamps are microseconds after `origin` (the recording start;
  // 0 gives the recorded host's CLOCK_MONOTONIC). Writes the trace to OUT
  // as events arrive; OUT must outlive the builder.
  ChromeTraceBuilder(TimeNs origin, std::ostream& out);

  // The pids above PID_MAX_LIMIT that the trace's own tracks use.
  static constexpr int kPidCounters = (1 << 30) + 1;
  static constexpr int kPidHotadd = (1 << 30) + 2;
  static constexpr int kPidKswapdUnknown = (1 << 30) + 16;  // + nid, when no sample names kswapd

  void on_event(const Event& e);
  // A global instant (a line across every track; category "recording"):
  // where a run of a restarted recorder began or ended.
  void mark(const std::string& name, TimeNs ts, const nlohmann::json& args);
  // Closes episodes still open at `end` and ends the trace.
  // `other` lands in "otherData" (recording facts shown in Perfetto's info).
  void finish(TimeNs end, const nlohmann::json& other = nlohmann::json::object());
  uint64_t written() const { return written_; }  // trace events so far

 private:
  double us(TimeNs ts) const;
  void emit(const nlohmann::json& ev);
  void process_name(int pid, const std::string& name, int sort);
  void thread_name(int pid, int64_t tid, const std::string& name);
  // node's kswapd pid (naming its track the first time)
  int kswapd_pid(int32_t nid);
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
  std::ostream& out_;
  uint64_t written_ = 0;
  std::map<int32_t, Awake> awake_;                         // by node
  std::map<int64_t, std::string> named_tasks_;             // direct-reclaim threads named so far
  std::map<int32_t, int32_t> kswapd_pids_;                 // by node, from the kswapd CPU samples
  std::map<int32_t, int> named_nodes_;                     // by node: the pid its track was named under
  std::map<int32_t, uint64_t> wakeup_requests_;            // since the last sample, by node
  std::optional<std::pair<TimeNs, uint64_t>> last_alloc_;  // ts, cumulative pages
  TimeNs last_wakeup_sample_ = 0;
  std::optional<uint64_t> first_drops_;
};

}  // namespace kst
