// Summary -> the human-readable report of the one-shot command and `report`.
#pragma once

#include <map>
#include <string>

#include "core/hazards.h"
#include "core/host_identity.h"  // local_time_ns
#include "core/hotadd_tracker.h"
#include "core/recording_format.h"
#include "core/summary.h"
#include "core/zones.h"

namespace kst {

std::string render_text(const Summary& s);
// Interval mode's compact form (one line per interval, the full summary with
// --full): the column header, and one window's line. A non-empty `time`
// (-T) adds a first column.
std::string render_interval_header(bool with_time);
std::string render_interval_line(const Summary& s, const std::string& time);
// How a run of a recording store ended: "stopped by signal", "disk full",
// "killed (no end record)" (a later run followed), ... (JSON key if `key`).
std::string run_end(const rec::RecordingRun& r, bool last, bool key = false);
// A short table of the runs of a recording store.
std::string render_runs(const std::vector<rec::RecordingRun>& runs);
std::string render_zone_table(const std::vector<ZoneInfo>& zones);
std::string render_hazards(const std::vector<Hazard>& hazards);
// One hot-add finding (several lines, indented by two spaces); `watch` can print it as it settles.
std::string render_hotadd(const HotAdd& h, TimeNs window_start);
// "  sources active: uevent=netlink zoneinfo=procfs" and one "not available:" line per reason
// (sources missing for the same reason share it), wrapped, from SourceInfo::hotadd_sources.
std::string render_hotadd_sources(const SourceInfo& src);
// " key=value ..." of a verdict's evidence; "-" for unknown (negative) values.
std::string render_evidence(const std::map<std::string, double>& evidence);
// Detector verdicts, each with its message, evidence and advice; `now`
// gives "for N s" (0: left out).
std::string render_verdicts(const std::vector<Verdict>& verdicts, TimeNs now);

}  // namespace kst
