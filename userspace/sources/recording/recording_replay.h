// Replays a recording (or a time window of it) through the analysis core,
// exactly as the one-shot feeds live events: same Analyzer, same Summary.
#pragma once

#include <functional>
#include <optional>

#include "core/summary.h"
#include "sources/recording/recording_reader.h"

namespace kst {

struct ReplayWindow {
  std::optional<TimeNs> from, to;  // CLOCK_MONOTONIC of the recorded host
};

struct ReplayResult {
  Summary summary;
  bool have_data = false;
  bool ended = false;  // the last run's End record was read (clean stop)
  rec::EndReason end_reason = rec::EndReason::Stopped;
  TimeNs first_ts = 0, last_ts = 0;  // of everything read, inside or outside the window
};

// Without a window: from the first record (the Start record unless evicted)
// to the last (the End record after a clean stop) -- exactly the one-shot's
// window. With --from/--to, each edge moves to the nearest sample set (the
// counters the summary reports are deltas between samples), and a window
// edge then falling between sample sets is widened to the enclosing ones.
// `tap`, when given, sees every event the analyzer sees, in the same order
// (the HTML report builds its time series from it).
ReplayResult replay_summary(RecordingReader& reader, const ReplayWindow& w,
                            const std::function<void(const Event&)>& tap = {});

// A --from/--to argument as CLOCK_MONOTONIC of the recorded host:
//   "90", "+90", "1.5"         seconds after the recording started
//   "2024-05-01 12:00:00[.f]"  local wall-clock time ('T' separator also accepted)
//   "12:00[:05]"                local wall-clock time on the day the recording started
//   "@1714557600[.f]"          seconds since the Unix epoch
// Throws std::invalid_argument with a one-line message.
TimeNs parse_time_spec(const rec::Header& h, const std::string& spec);

}  // namespace kst
