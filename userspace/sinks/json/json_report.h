// Summary -> JSON (shape documented in docs/output.md).
#pragma once

#include <nlohmann/json.hpp>

#include "core/hazards.h"
#include "core/histogram.h"
#include "core/hotadd_tracker.h"
#include "core/recording_format.h"
#include "core/summary.h"
#include "core/verdict.h"
#include "core/zones.h"

namespace kst {

nlohmann::json to_json(const Log2Histogram& h, const char* unit);
nlohmann::json to_json(const ZoneInfo& z);
nlohmann::json to_json(const Hazard& h);
nlohmann::json to_json(const HotAdd& h, TimeNs window_start);
nlohmann::json hotadd_sources_json(const SourceInfo& src, const std::map<std::string, uint64_t>& events);
nlohmann::json to_json(const Summary& s);
// The runs of a restartable recording store: where each began, how it ended.
nlohmann::json runs_json(const std::vector<rec::RecordingRun>& runs);
// `now` (same clock as since/raised) adds "for_s"; 0 leaves it out.
nlohmann::json to_json(const Verdict& v, TimeNs now = 0);

}  // namespace kst
