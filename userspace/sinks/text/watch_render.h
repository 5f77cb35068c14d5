// What `kswaptrace watch` prints: a compact status line per node, an alert
// block when a verdict is raised or cleared, and their one-object-per-line
// JSON forms (shape documented in docs/detection.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/detector.h"
#include "core/host_identity.h"
#include "core/verdict.h"
#include "core/zones.h"

namespace kst {

// `label` is the wall-clock time (or any stamp) printed first.
std::string render_status_line(const NodeStatus& st, const std::vector<Verdict>& active,
                               const std::string& label);
// `zones`: the last zone sample (the node's zones are shown with the alert).
std::string render_verdict_raised(const Verdict& v, const NodeStatus* st, const std::vector<ZoneInfo>& zones,
                                  const std::string& label, int64_t realtime_offset_ns = 0);
// realtime_offset_ns (CLOCK_REALTIME - CLOCK_MONOTONIC; 0 = unknown) adds the
// wall-clock time (UTC) beside the monotonic one.
std::string render_verdict_cleared(const Verdict& v, TimeNs now, const std::string& label,
                                   int64_t realtime_offset_ns = 0);

nlohmann::json status_json(const NodeStatus& st, const std::vector<Verdict>& active, TimeNs now);
nlohmann::json verdict_change_json(const Verdict& v, bool raised, TimeNs now,
                                   const HostIdentity* host = nullptr);

}  // namespace kst
