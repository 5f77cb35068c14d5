#include "cli/detector_options.h"

namespace kst::cli {

CLI::Validator verdict_name_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const std::string key = verdict_key_from_name(s);
        if (!key.empty()) {
          s = key;
          return "";
        }
        std::string kinds;
        for (const char* const* k = verdict_kinds_printed(); *k; ++k) kinds += std::string(*k) + ", ";
        return "unknown verdict '" + s + "' (want one of " + kinds + "any; any case, or the short form)";
      },
      "VERDICT");
}

DetectorConfig DetectorOptions::resolve() const {
  DetectorConfig c = config;
  c.livelock_cpu = livelock_cpu_pct / 100;
  c.futile_eff = futile_eff_pct / 100;
  return c;
}

void add_detector_options(CLI::App& app, DetectorOptions& o) {
  DetectorConfig& c = o.config;
  app.add_option("--window", c.window_s, "seconds of history behind each metric")
      ->check(CLI::Range(1.0, 600.0))
      ->capture_default_str();
  app.add_option("--hold", c.hold_s, "seconds a condition must hold before its verdict is raised")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--clear", c.clear_s, "seconds a condition must be gone before its verdict is cleared")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--livelock-awake", c.livelock_awake_s,
                 "LIVELOCK: seconds kswapd has been awake without sleeping")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--livelock-cpu", o.livelock_cpu_pct, "LIVELOCK: kswapd CPU, percent of one CPU")
      ->check(CLI::Range(1.0, 100.0))
      ->capture_default_str();
  app.add_option("--livelock-steal", c.livelock_steal_per_run,
                 "LIVELOCK: pages reclaimed per pass below this = no progress")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--futile-awake", c.futile_awake_s, "FUTILE-RECLAIM: seconds kswapd has been awake")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--futile-eff", o.futile_eff_pct, "FUTILE-RECLAIM: reclaimed/scanned below this percent")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--futile-scan", c.futile_min_scan_per_s,
                 "FUTILE-RECLAIM: pages/s kswapd must scan to count")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--churn-rate", c.churn_requests_per_s,
                 "HIGH-ORDER-CHURN: order>=1 kswapd wake requests per second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--thrash-ratio", c.thrash_refault_ratio, "THRASHING: refaults per page reclaimed")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace kst::cli
