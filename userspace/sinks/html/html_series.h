// Time series for the HTML report, accumulated from the same event stream
// the analysis core sees (a replayed recording or the one-shot's live
// events). The report's totals come from the summary JSON; this only adds
// "when": kswapd awake time and wakes per node, stalls, zone free pages
// against the watermarks, allocations by order, hot-add marks.
// Pure: events in, series out (no I/O), so memory stays bounded by the
// window length at a fixed resolution, not by the event rate.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/event.h"

namespace kst {

// One time bin of the per-node and stall series.
struct SeriesBin {
  double awake_s = 0;  // kswapd awake time inside the bin (per node)
  uint32_t wakes = 0;  // kswapd_wake (balance_pgdat passes)
};
struct StallBin {
  uint32_t direct = 0, memcg = 0;                // stalls that ended in the bin
  uint64_t direct_max_us = 0, memcg_max_us = 0;  // longest of them
};

struct ZonePoint {
  double t = 0;  // seconds after the window start
  uint64_t free = 0, min = 0, low = 0, high = 0;
};
struct ZoneSeries {
  int32_t nid = 0;
  std::string zone;
  std::vector<ZonePoint> points;
};

struct AllocPoint {
  double t = 0;               // end of the interval, seconds after the window start
  std::vector<double> per_s;  // allocation calls per second, by order
};

struct Mark {
  double t = 0;
  std::string label;  // untrusted (uevent attributes): escape when drawn
};

struct HtmlSeries {
  double duration_s = 0;
  double bin_s = 0;                                 // width of the bins below
  std::map<int32_t, std::vector<SeriesBin>> nodes;  // nid -> bins
  std::vector<StallBin> stalls;
  std::vector<ZoneSeries> zones;
  std::vector<AllocPoint> alloc;
  int max_order = -1;
  std::vector<Mark> hotadd;
  uint64_t hotadd_marks_dropped = 0;
};

class HtmlSeriesBuilder {
 public:
  // Accumulates at `resolution_ns` (100 ms by default); finish() merges
  // adjacent bins to at most `max_bins`.
  explicit HtmlSeriesBuilder(TimeNs resolution_ns = 100000000ull, size_t max_bins = 600);

  void on_event(const Event& e);
  // The series over [start, end] (the summary's window); t = 0 at start.
  HtmlSeries finish(TimeNs start, TimeNs end) const;

 private:
  size_t slot(TimeNs ts);
  void on_alloc(TimeNs ts, const AllocCounters& a);

  TimeNs res_;
  size_t max_bins_;
  bool have_origin_ = false;
  TimeNs origin_ = 0, last_ts_ = 0;
  std::map<int32_t, std::vector<SeriesBin>> nodes_;
  std::map<int32_t, TimeNs> awake_since_;  // open episodes
  std::vector<StallBin> stalls_;
  std::map<std::pair<int32_t, std::string>, std::vector<std::pair<TimeNs, ZonePoint>>> zones_;
  struct AllocAt {
    TimeNs ts = 0;
    std::vector<uint64_t> calls;  // cumulative, by order
  };
  std::vector<AllocAt> alloc_;
  std::vector<std::pair<TimeNs, std::string>> marks_;
  uint64_t marks_dropped_ = 0;
};

nlohmann::json to_json(const HtmlSeries& s);

}  // namespace kst
