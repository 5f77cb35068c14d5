// The loop of `kswaptrace watch`, apart from the live source so that a
// synthetic source with its own clock can drive it in unit tests.
#pragma once

#include <atomic>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/detector.h"
#include "core/event.h"

namespace kst::cli {

// Everything the loop needs from where events come from.
class WatchSource {
 public:
  using Sink = std::function<void(Event&&)>;
  virtual ~WatchSource() = default;
  virtual const SourceInfo& info() const = 0;
  virtual TimeNs now() = 0;  // CLOCK_MONOTONIC for the live source
  // Delivers events, waiting up to timeout_ms for the first.
  virtual void poll(int timeout_ms, const Sink& sink) = 0;
  // Delivers what is buffered, without waiting.
  virtual void drain(const Sink& sink) = 0;
  // Samples of /proc and of the in-kernel aggregates, stamped now.
  virtual std::vector<Event> sample() = 0;
  // The stamp that starts each printed line (wall-clock time when live).
  virtual std::string label(TimeNs now) = 0;
};

struct WatchOptions {
  double interval = 5;  // seconds between status lines
  double tick = 1;      // seconds between samples + evaluations
  double duration = 0;  // stop after this many seconds (0: until stopped)
  bool json = false;
  std::set<std::string> exit_on;  // verdict keys (verdict_key()) or "any"
  DetectorConfig detector;
};

// Runs until `stop`, the duration, or a verdict named in exit_on; returns
// kExitOk or kExitVerdict. Text or JSON lines go to `out`, notes to `err`.
int run_watch(WatchSource& src, const WatchOptions& o, std::ostream& out, std::ostream& err,
              const std::atomic<bool>& stop);

}  // namespace kst::cli
