// The agent's metric values as plain data: counters, gauges and histograms
// keyed by name and labels, the names, types and HELP texts of
// docs/agent.md (the contract the alert rules use), and the state file that
// keeps counters monotonic across agent restarts. No prometheus-cpp here:
// the exporter (prom_exporter.h) mirrors this model into its registry.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kst::metrics {

// Histogram buckets (seconds) for kswapd episodes and reclaim stalls: 50 us .. 60 s.
const std::vector<double>& stall_buckets();

using Labels = std::map<std::string, std::string>;
using SeriesKey = std::pair<std::string, Labels>;  // metric name, labels

enum class Type { Counter, Gauge, Histogram };
struct MetricDesc {
  const char* name;
  Type type;
  const char* help;
};
// Every metric the agent exposes, in exposition order.
const std::vector<MetricDesc>& metric_descs();
const MetricDesc* find_desc(const std::string& name);

struct HistData {
  std::vector<uint64_t> buckets;  // per bucket, not cumulative; last = +Inf
  double sum = 0;
  uint64_t count = 0;
  void observe(double v);
};

struct StateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class MetricModel {
 public:
  // Unknown names throw std::logic_error: only contract names are exposed.
  void add(const std::string& name, const Labels& l, double delta);
  void set(const std::string& name, const Labels& l, double value);
  void observe(const std::string& name, const Labels& l, double seconds);
  // Registers a series with value 0 (so it is exposed before its first event).
  void touch(const std::string& name, const Labels& l);

  const std::map<SeriesKey, double>& counters() const { return counters_; }
  const std::map<SeriesKey, double>& gauges() const { return gauges_; }
  const std::map<SeriesKey, HistData>& histograms() const { return hists_; }
  double counter(const std::string& name, const Labels& l = {}) const;

  // Counters and histograms (the monotonic part) as JSON text, and back.
  // restore() throws StateError on text that is not a state file.
  std::string save_state() const;
  void restore_state(const std::string& text);

 private:
  std::map<SeriesKey, double> counters_, gauges_;
  std::map<SeriesKey, HistData> hists_;
};

// Writes BYTES to PATH atomically: a temporary file in the same directory,
// fsync, rename over PATH. Throws std::runtime_error with errno text.
void write_file_atomic(const std::string& path, const std::string& bytes, bool sync = true);

// The state file in DIR (created 0700 if missing): load (empty string when
// absent) and save. Throw std::runtime_error with a one-line message.
std::string state_path(const std::string& dir);
std::string load_state_file(const std::string& dir);
void save_state_file(const std::string& dir, const std::string& text);

}  // namespace kst::metrics
