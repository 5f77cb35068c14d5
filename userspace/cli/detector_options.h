// The detector's thresholds as command-line options (and config-file keys):
// shared by `watch` and `agent`, so both accept exactly the same names.
#pragma once

#include <CLI/CLI.hpp>

#include "core/detector.h"

namespace kst::cli {

struct DetectorOptions {
  DetectorConfig config;
  double livelock_cpu_pct = 70, futile_eff_pct = 10;  // percent on the command line, fractions in config
  // The DetectorConfig with the percentages converted.
  DetectorConfig resolve() const;
};

// --window, --hold, --clear, --livelock-*, --futile-*, --churn-rate, --thrash-ratio.
void add_detector_options(CLI::App& app, DetectorOptions& o);

// Turns a verdict name as printed ("FUTILE-RECLAIM") or short ("futile"), any
// case, into its verdict_key(); anything else is a usage error naming the kinds.
CLI::Validator verdict_name_validator();

}  // namespace kst::cli
