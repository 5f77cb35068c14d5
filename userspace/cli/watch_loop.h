// The loop of `kswaptrace watch`, apart from the live source so that a
// synthetic source with its own clock can drive it in unit tests.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/detector.h"
#include "core/event.h"
#include "core/host_identity.h"
#include "sources/procfs/host_identity_reader.h"

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
  // Host, boot and the wall-clock offset of now() for the JSON envelope.
  virtual HostIdentity host() { return live_host_identity(); }
};

// The loop `watch` and `agent` share: events go to `feed` as they arrive;
// every `tick_s` what is buffered is drained, a sample set taken and handed to
// `on_tick` (with the loop's monotonic time), which returns false to stop.
// `on_poll` (optional) runs after every wait of at most 100 ms: the agent's
// watchdog ping. Returns why it ended.
enum class LoopEnd { Stopped, Duration, Hook };
struct TickHooks {
  WatchSource::Sink feed;
  std::function<bool(TimeNs now, std::vector<Event>& samples)> on_tick;
  std::function<void(TimeNs now)> on_poll;
};
LoopEnd run_ticks(WatchSource& src, double tick_s, double duration_s, TimeNs start, const TickHooks& hooks,
                  const std::atomic<bool>& stop);

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

// Prints verdict changes as `watch` does: alert blocks and "cleared" lines,
// or one JSON object each.
void print_changes(const std::vector<VerdictChange>& changes, const Detector& det, bool json, TimeNs t,
                   const std::string& label, std::ostream& out, const HostIdentity* host = nullptr);
// A watch/agent JSON line in its envelope (schema kswaptrace.watch/1), stamped at t.
nlohmann::json watch_json(nlohmann::json j, const HostIdentity& host, TimeNs t);

}  // namespace kst::cli
