// libFuzzer target for the explain parsers: allocation-failure reports,
// /proc/zoneinfo and /proc/buddyinfo text, GFP arguments, and the simulator
// run on whatever they produce. Built and run by scripts/fuzz-explain, not
// by ctest.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/failure_report.h"
#include "core/gfp.h"
#include "core/watermark_check.h"
#include "core/zones.h"

using namespace kst;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    for (const FailureReport& r : parse_failure_reports(in)) {
      ExplainRequest req;
      req.order = r.order;
      req.kv = r.kernel.value_or(KernelVersion{5, 4});
      GfpEra era = gfp_era_for(req.kv);
      std::string err;
      auto m = gfp_from_names(r.mode_names, era, &err);
      req.gfp = decode_gfp(m.value_or(r.mode), era, req.kv);
      req.layout = r.layout;
      req.zones_complete = r.zones_complete;
      req.kv_low = KernelVersion{2, 6, 0};  // every era boundary, both ways
      req.kv_high = KernelVersion{99, 0};
      for (WmAlgo a : {WmAlgo::Pre44, WmAlgo::Post44, WmAlgo::Post64}) {
        req.algo = a;
        explain(report_to_wm(r), req);
      }
    }
  } catch (const ParseError&) {
  }
  try {
    auto zones = parse_zoneinfo(in);
    try {
      merge_buddyinfo(zones, parse_buddyinfo(in));
    } catch (const ParseError&) {
    }
    ExplainRequest req;
    req.order = size % 12;
    req.gfp = decode_gfp(size * 2654435761u, GfpEra::V5_1);
    req.all_marks = true;
    explain(zones_to_wm(zones), req);
  } catch (const ParseError&) {
  }
  std::string err;
  for (GfpEra e : all_gfp_eras()) parse_gfp_arg(in.substr(0, 256), e, &err);
  parse_kernel_version(in.substr(0, 64));
  return 0;
}
