// `kswaptrace watch`: live kswapd verdicts. Wires the live source to the
// watch loop (cli/watch_loop.cpp) and maps the threshold options.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/detector_options.h"
#include "cli/live_options.h"
#include "cli/trace_scope.h"
#include "cli/watch_loop.h"
#include "sources/live/live_source.h"

namespace kst::cli {
namespace {

struct WatchCliOptions {
  WatchOptions watch;
  std::vector<std::string> exit_on;
  DetectorOptions detector;
  LiveOptions live;
  ScopeOptions scope;
};

// -p: the watch ends when every named process has exited, as the one-shot does
class PidScopedSource : public WatchSource {
 public:
  PidScopedSource(WatchSource& in, const std::vector<uint32_t>& pids) : in_(in), pids_(pids) {}
  const SourceInfo& info() const override { return in_.info(); }
  TimeNs now() override { return in_.now(); }
  void poll(int ms, const Sink& s) override {
    in_.poll(ms, s);
    if (!gone_ && pids_.all_exited()) {
      gone_ = true;
      g_stop.store(true);
    }
  }
  void drain(const Sink& s) override { in_.drain(s); }
  std::vector<Event> sample() override { return in_.sample(); }
  std::string label(TimeNs t) override { return in_.label(t); }
  HostIdentity host() override { return in_.host(); }
  bool gone() const { return gone_; }

 private:
  WatchSource& in_;
  PidWatch pids_;
  bool gone_ = false;
};

int run(WatchCliOptions& o) {
  for (const auto& k : o.exit_on) o.watch.exit_on.insert(k);
  o.watch.detector = o.detector.resolve();
  TraceScope scope;
  if (int rc = prepare_scope(o.scope, o.live, scope)) return rc;
  install_stop_signals();
  FeatureProbe probe(o.live.btf);
  std::unique_ptr<LiveSource> live = open_live_source(o.live, probe);
  if (!live) return kExitError;
  try {
    LiveWatchSource src(std::move(live));
    for (const auto& d : src.info().degraded) std::cerr << "kswaptrace: note: " << d << "\n";
    if (scope.limited()) std::cerr << "kswaptrace: " << scope_note(scope) << "\n";
    PidScopedSource scoped(src, scope.pids);
    const TimeNs start = src.now();
    const int rc = run_watch(scoped, o.watch, std::cout, std::cerr, g_stop);
    if (scoped.gone()) return fail(pids_exited_message(scope, (src.now() - start) / 1e9, "watching ended"));
    return rc;
  } catch (const TraceError& e) {
    return fail(e.what());
  }
}

}  // namespace

void register_watch(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<WatchCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "watch",
      "watch kswapd live: a status line per node, an alert block when a verdict (LIVELOCK, FUTILE-RECLAIM, "
      "HIGH-ORDER-CHURN, ...) is raised or cleared; rules in docs/detection.md");
  sub->add_option("-i,--interval", o->watch.interval, "seconds between status lines")
      ->check(CLI::Range(0.01, 86400.0))
      ->capture_default_str();
  sub->add_option("-d,--duration", o->watch.duration, "stop after SECONDS (exit 0 unless --exit-on fired)")
      ->check(CLI::Range(0.01, 31536000.0));
  sub->add_flag("-j,--json", o->watch.json, "one JSON object per line (status and verdict changes)");
  sub->add_option(
         "--exit-on", o->exit_on,
         "exit with code 3 when a verdict of these kinds is raised (comma-separated, any case, as printed "
         "or short: LIVELOCK, FUTILE-RECLAIM|futile, HIGH-ORDER-CHURN|churn, THRASHING|thrash, "
         "WATERMARK-BOOST|boost, TINY-ZONE, HEALTHY-RECLAIM|healthy; any = every alerting kind)")
      ->delimiter(',')
      ->transform(verdict_name_validator());
  add_detector_options(*sub, o->detector);
  add_live_options(*sub, o->live);
  add_filter_options(*sub, o->scope);
  set_examples(*sub, {"kswaptrace watch", "kswaptrace watch -c /system.slice/db.service",
                      "kswaptrace watch -d 600 --exit-on=LIVELOCK,FUTILE-RECLAIM",
                      "kswaptrace watch --json | tee verdicts.jsonl"});
  reg.push_back({sub, [o]() { return run(*o); }});
}

}  // namespace kst::cli
