// One tick of the agent's metrics: the collector's new values are first made
// durable in the state file, and only then exposed (HTTP registry, textfile),
// so a scrape never sees a counter value that a restart could take back.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/verdict.h"
#include "sinks/metrics/collector.h"

namespace kst::metrics {

struct PublisherOptions {
  std::string state_dir;  // "" = no persistence (tests)
  // Called with the model after the state is saved: the Prometheus mirror,
  // the textfile writer. Exceptions propagate (std::runtime_error).
  std::vector<std::function<void(const MetricModel&)>> exposers;
};

class MetricsPublisher {
 public:
  // Restores counters from the state directory. Throws std::runtime_error
  // (StateError for a malformed file) with a one-line message.
  MetricsPublisher(MetricsCollector& c, PublisherOptions o);
  // Ticks the collector, saves the state, then exposes.
  void publish(TimeNs now, const std::vector<Verdict>& verdicts);
  bool restored() const { return restored_; }

 private:
  MetricsCollector& c_;
  PublisherOptions o_;
  bool restored_ = false;
};

}  // namespace kst::metrics
