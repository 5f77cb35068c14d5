#include "sources/recording_replay.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>
#include <stdexcept>

#include "core/analyzer.h"

namespace kst {

ReplayResult replay_summary(RecordingReader& reader, const ReplayWindow& w) {
  ReplayResult r;
  std::unique_ptr<Analyzer> an;
  TimeNs start = 0, last_in = 0;
  bool past_end = false;
  reader.read([&](const RecordItem& it) {
    const TimeNs ts = it.event.ts;
    if (!r.have_data) r.first_ts = ts;
    r.have_data = true;
    r.first_ts = std::min(r.first_ts, ts);
    r.last_ts = std::max(r.last_ts, ts);
    if (it.kind == RecordItem::Kind::End) {
      r.ended = true;
      r.end_reason = it.end_reason;
    }
    if (past_end || (w.from && ts < *w.from) || (w.to && ts > *w.to)) return;
    if (!an) {
      // --from inside the recording starts the window there; before it, at its first record
      start = w.from ? std::max(*w.from, r.first_ts) : ts;
      an = std::make_unique<Analyzer>(reader.source(), start);
    }
    last_in = std::max(last_in, ts);
    if (it.kind == RecordItem::Kind::Event) an->on_event(it.event);
    if (it.kind == RecordItem::Kind::End) past_end = true;
  });
  if (!an) {
    // nothing inside the window: an empty summary of the window itself
    start = w.from.value_or(r.first_ts);
    an = std::make_unique<Analyzer>(reader.source(), start);
    last_in = w.to.value_or(start);
  }
  r.summary = an->summary(std::max(start, last_in));
  return r;
}

namespace {

TimeNs wall_to_mono(const rec::Header& h, long double wall_s, const std::string& spec) {
  const long double mono = wall_s * 1e9L - static_cast<long double>(h.realtime_offset_ns);
  if (mono < 0) throw std::invalid_argument("time '" + spec + "' is before the recorded host booted");
  return static_cast<TimeNs>(mono);
}

// Seconds since the epoch of a local broken-down time plus a fraction.
long double local_epoch(tm t, long double frac) {
  t.tm_isdst = -1;
  const time_t s = mktime(&t);
  return static_cast<long double>(s) + frac;
}

long double parse_fraction(const char* rest, const std::string& spec) {
  if (!*rest) return 0;
  if (*rest != '.') throw std::invalid_argument("cannot parse time '" + spec + "'");
  char* end = nullptr;
  const long double f = std::strtold(rest, &end);
  if (*end) throw std::invalid_argument("cannot parse time '" + spec + "'");
  return f;
}

}  // namespace

TimeNs parse_time_spec(const rec::Header& h, const std::string& spec) {
  const std::string bad = "cannot parse time '" + spec +
                          "' (seconds after the start, 'YYYY-MM-DD HH:MM:SS', 'HH:MM[:SS]' or '@EPOCH')";
  if (spec.empty()) throw std::invalid_argument(bad);
  if (spec[0] == '@') {
    char* end = nullptr;
    const long double s = std::strtold(spec.c_str() + 1, &end);
    if (end == spec.c_str() + 1 || *end) throw std::invalid_argument(bad);
    return wall_to_mono(h, s, spec);
  }
  if (spec.find(':') == std::string::npos) {
    char* end = nullptr;
    const long double s = std::strtold(spec.c_str(), &end);
    if (end == spec.c_str() || *end || !std::isfinite(static_cast<double>(s)) || s < 0)
      throw std::invalid_argument(bad);
    return h.recording_start_ns + static_cast<TimeNs>(s * 1e9L);
  }
  tm t{};
  for (const char* fmt : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"}) {
    t = tm{};
    if (const char* rest = strptime(spec.c_str(), fmt, &t)) return wall_to_mono(h, local_epoch(t, parse_fraction(rest, spec)), spec);
  }
  // time of day on the recording's first day
  const int64_t start_wall_ns = static_cast<int64_t>(h.recording_start_ns) + h.realtime_offset_ns;
  const time_t start_s = static_cast<time_t>(start_wall_ns / 1000000000);
  tm day{};
  localtime_r(&start_s, &day);
  for (const char* fmt : {"%H:%M:%S", "%H:%M"}) {
    t = tm{};
    if (const char* rest = strptime(spec.c_str(), fmt, &t)) {
      day.tm_hour = t.tm_hour;
      day.tm_min = t.tm_min;
      day.tm_sec = t.tm_sec;
      return wall_to_mono(h, local_epoch(day, parse_fraction(rest, spec)), spec);
    }
  }
  throw std::invalid_argument(bad);
}

}  // namespace kst
