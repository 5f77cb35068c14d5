// The analysis core: consumes the event model, produces a Summary.
// It never opens a file or touches libbpf, so live tracing, replayed
// recordings and synthetic test streams all go through this one path.
#pragma once

#include <optional>

#include "core/alloc_counter.h"
#include "core/event.h"
#include "core/hotadd_tracker.h"
#include "core/kswapd_tracker.h"
#include "core/reclaim_tracker.h"
#include "core/summary.h"

namespace kst {

class Analyzer {
 public:
  Analyzer(SourceInfo source, TimeNs window_start);

  void on_event(const Event& e);
  Summary summary(TimeNs window_end) const;

  const KswapdTracker& kswapd() const { return kswapd_; }
  const std::optional<ZoneSample>& last_zones() const { return last_zones_; }
  // Memory hot-add episodes (issue 6); `watch` polls take_settled()/open().
  HotAddTracker& hotadd() { return hotadd_; }
  const HotAddTracker& hotadd() const { return hotadd_; }

 private:
  template <typename T>
  struct FirstLast {
    std::optional<T> first, last;
    void add(const T& v) {
      if (!first) first = v;
      last = v;
    }
  };

  SourceInfo source_;
  TimeNs start_;
  KswapdTracker kswapd_;
  ReclaimTracker reclaim_;
  FirstLast<AllocCounters> alloc_;
  FirstLast<ReclaimCounters> shrink_;
  FirstLast<ProbeCounters> probe_;
  FirstLast<VmstatSample> vmstat_;
  FirstLast<KswapdCpuSample> cpu_;
  std::optional<ZoneSample> last_zones_;
  ZoneSettling settling_;
  HotAddTracker hotadd_;
  std::vector<std::pair<TimeNs, VerdictChange>> recorded_verdicts_;
};

}  // namespace kst
