// Turns the event model and the detector's results into the agent's metrics
// (docs/agent.md). Fed the same Events as the Detector, and ticked once per
// sample set with the verdicts in force. Cumulative kernel counters (the BPF
// aggregates, /proc/vmstat, kswapd CPU) count from the first sample of this
// run: what happened while no agent ran is not invented, and restored values
// from a previous run continue from where that run left them.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/hotadd_tracker.h"
#include "core/verdict.h"
#include "core/zone_settling.h"
#include "sinks/metrics/metric_model.h"

namespace kst::metrics {

// Every verdict kind the detector can give: kswaptrace_verdict has a series for each, per node.
const std::vector<std::string>& verdict_kinds();

// "0".."10", and "11+" for higher orders (bounded cardinality).
std::string order_label(int order);

class MetricsCollector {
 public:
  // CGROUP: the -c the agent is limited to ("" = whole system), a build_info label
  MetricsCollector(const SourceInfo& src, const std::string& version, TimeNs start,
                   const std::string& cgroup = "");

  void on_event(const Event& e);
  // After the detector evaluated at `now`: gauges of verdicts, hazards and
  // zones, awake time of open episodes, settled hot-adds.
  void on_tick(TimeNs now, const std::vector<Verdict>& verdicts);

  MetricModel& model() { return m_; }
  const MetricModel& model() const { return m_; }

 private:
  struct KswapdNode {
    bool awake = false;
    bool seen = false;    // a wake or sleep of this node arrived
    TimeNs since = 0;     // wake of the open episode
    TimeNs acc_from = 0;  // awake time is counted up to here
  };
  void on(TimeNs ts, const KswapdWake& e);
  void on(TimeNs ts, const KswapdSleep& e);
  void on(const DirectReclaim& e);
  void on(const AllocCounters& e);
  void on(const VmstatSample& e);
  void on(const KswapdCpuSample& e);
  void on(const ProbeCounters& e);
  void on(const ZoneSample& e);
  void hazards(TimeNs now);
  KswapdNode& node(int32_t nid);

  MetricModel m_;
  TimeNs start_;
  uint32_t page_size_;
  std::map<int32_t, KswapdNode> kswapd_;
  std::optional<AllocCounters> alloc_prev_;
  std::optional<uint64_t> pgsteal_prev_, drops_prev_;
  std::map<int32_t, std::pair<int32_t, uint64_t>> cpu_prev_;  // nid -> (pid, cpu_ns)
  std::optional<ZoneSample> zones_;
  ZoneSettling settling_;
  HotAddTracker hotadd_;
  std::optional<HotAdd> last_hotadd_;
  std::set<Labels> hazard_series_;  // exported so far (set to 0 when gone)
};

}  // namespace kst::metrics
