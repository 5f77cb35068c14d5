// Summary -> JSON (shape documented in docs/output.md).
#pragma once

#include <nlohmann/json.hpp>

#include "core/hazards.h"
#include "core/histogram.h"
#include "core/host_identity.h"
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
// With `host`, verdict times also get their wall-clock (RFC 3339 UTC) twins.
nlohmann::json to_json(const Summary& s, const HostIdentity* host = nullptr);
// The summary as a command prints it: to_json() in the envelope
// (sinks/json/envelope.h) of `command` ("summary", "report"), window start..end.
nlohmann::json summary_json(const Summary& s, const std::string& command, const HostIdentity& host);
// The runs of a restartable recording store: where each began, how it ended.
nlohmann::json runs_json(const std::vector<rec::RecordingRun>& runs);
// `now` (same clock as since/raised) adds "for_s"; 0 leaves it out. `host`
// adds since_time and raised_time (RFC 3339 UTC) beside the monotonic seconds.
nlohmann::json to_json(const Verdict& v, TimeNs now = 0, const HostIdentity* host = nullptr);

}  // namespace kst
