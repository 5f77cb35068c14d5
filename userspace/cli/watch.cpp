// `kswaptrace watch`: live kswapd verdicts. Wires the live source to the
// watch loop (cli/watch_loop.cpp) and maps the threshold options.
#include <time.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/live_options.h"
#include "cli/watch_loop.h"
#include "sources/live_source.h"

namespace kst::cli {
namespace {

class LiveWatchSource : public WatchSource {
 public:
  explicit LiveWatchSource(std::unique_ptr<LiveSource> src) : src_(std::move(src)) {}
  const SourceInfo& info() const override { return src_->info(); }
  TimeNs now() override { return monotonic_now(); }
  void poll(int timeout_ms, const Sink& sink) override { src_->poll(timeout_ms, sink); }
  void drain(const Sink& sink) override { src_->drain(sink); }
  std::vector<Event> sample() override { return src_->sample(); }
  std::string label(TimeNs) override {
    const time_t t = time(nullptr);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[16];
    strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
  }

 private:
  std::unique_ptr<LiveSource> src_;
};

struct WatchCliOptions {
  WatchOptions watch;
  std::vector<std::string> exit_on;
  double livelock_cpu_pct = 70, futile_eff_pct = 10;
  LiveOptions live;
};

int run(WatchCliOptions& o) {
  for (const auto& k : o.exit_on) o.watch.exit_on.insert(k);
  DetectorConfig& c = o.watch.detector;
  c.livelock_cpu = o.livelock_cpu_pct / 100;
  c.futile_eff = o.futile_eff_pct / 100;
  install_stop_signals();
  FeatureProbe probe(o.live.btf);
  std::unique_ptr<LiveSource> live = open_live_source(o.live, probe);
  if (!live) return kExitError;
  try {
    LiveWatchSource src(std::move(live));
    for (const auto& d : src.info().degraded) std::cerr << "kswaptrace: note: " << d << "\n";
    return run_watch(src, o.watch, std::cout, std::cerr, g_stop);
  } catch (const TraceError& e) {
    return fail(e.what());
  }
}

}  // namespace

void register_watch(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<WatchCliOptions>();
  DetectorConfig& c = o->watch.detector;
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
  sub->add_option("--exit-on", o->exit_on,
                  "exit with code 3 when a verdict of these kinds is raised (comma-separated; any = every "
                  "alerting kind)")
      ->delimiter(',')
      ->check(
          CLI::IsMember({"livelock", "futile", "churn", "thrash", "boost", "tiny-zone", "healthy", "any"}));
  sub->add_option("--window", c.window_s, "seconds of history behind each metric")
      ->check(CLI::Range(1.0, 600.0))
      ->capture_default_str();
  sub->add_option("--hold", c.hold_s, "seconds a condition must hold before its verdict is raised")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  sub->add_option("--clear", c.clear_s, "seconds a condition must be gone before its verdict is cleared")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  sub->add_option("--livelock-awake", c.livelock_awake_s,
                  "LIVELOCK: seconds kswapd has been awake without sleeping")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--livelock-cpu", o->livelock_cpu_pct, "LIVELOCK: kswapd CPU, percent of one CPU")
      ->check(CLI::Range(1.0, 100.0))
      ->capture_default_str();
  sub->add_option("--livelock-steal", c.livelock_steal_per_run,
                  "LIVELOCK: pages reclaimed per pass below this = no progress")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--futile-awake", c.futile_awake_s, "FUTILE-RECLAIM: seconds kswapd has been awake")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--futile-eff", o->futile_eff_pct, "FUTILE-RECLAIM: reclaimed/scanned below this percent")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  sub->add_option("--futile-scan", c.futile_min_scan_per_s,
                  "FUTILE-RECLAIM: pages/s kswapd must scan to count")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--churn-rate", c.churn_requests_per_s,
                  "HIGH-ORDER-CHURN: order>=1 kswapd wake requests per second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--thrash-ratio", c.thrash_refault_ratio, "THRASHING: refaults per page reclaimed")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_live_options(*sub, o->live);
  reg.push_back({sub, [o]() { return run(*o); }});
}

}  // namespace kst::cli
