#include "sources/recording/recording_replay.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>
#include <stdexcept>

#include "core/analyzer.h"
#include "core/detector.h"
#include "core/overloaded.h"

namespace kst {

namespace {

// Periodic samples of cumulative state (vs. ring-buffer events). Exhaustive:
// a new Event alternative must say which it is.
bool is_sample(const EventData& d) {
  return std::visit(
      Overloaded{
          [](const KswapdWake&) { return false; },
          [](const KswapdSleep&) { return false; },
          [](const WakeupKswapd&) { return false; },
          [](const DirectReclaim&) { return false; },
          [](const ReclaimCounters&) { return true; },
          [](const AllocCounters&) { return true; },
          [](const ProbeCounters&) { return true; },
          [](const VmstatSample&) { return true; },
          [](const ZoneSample&) { return true; },
          [](const KswapdCpuSample&) { return true; },
          [](const MemoryBlockEvent&) { return false; },
          [](const BalloonSample&) { return false; },  // delivered on change, not per sample set
          [](const HotplugCall&) { return false; },
          [](const VerdictChange&) { return false; },
      },
      d);
}

}  // namespace

// The sample-set time nearest to t.
TimeNs nearest(const std::vector<TimeNs>& v, TimeNs t) {
  auto it = std::lower_bound(v.begin(), v.end(), t);
  if (it == v.end()) return v.back();
  if (it == v.begin()) return *it;
  return *it - t < t - *(it - 1) ? *it : *(it - 1);
}

ReplayResult replay_summary(RecordingReader& reader, const ReplayWindow& window,
                            const std::function<void(const Event&)>& tap) {
  ReplayWindow w = window;
  if (w.from || w.to) {
    // snap the edges to the nearest sample sets: counters are only known there
    std::vector<TimeNs> sample_ts;
    reader.read([&](const RecordItem& it) {
      if (it.kind == RecordItem::Kind::Event && is_sample(it.event.data) &&
          (sample_ts.empty() || sample_ts.back() != it.event.ts))
        sample_ts.push_back(it.event.ts);
    });
    std::sort(sample_ts.begin(), sample_ts.end());
    if (!sample_ts.empty()) {
      if (w.from) w.from = nearest(sample_ts, *w.from);
      if (w.to) w.to = nearest(sample_ts, *w.to);
      if (w.from && w.to && *w.to < *w.from) w.to = w.from;
    }
  }
  ReplayResult r;
  std::unique_ptr<Analyzer> an;
  const auto feed = [&](const Event& e) {
    an->on_event(e);
    if (tap) tap(e);
  };
  TimeNs start = 0, last_in = 0;
  bool past_end = false;
  std::vector<Event> before;  // the latest sample set before `from`
  // verdicts the recorder had raised before `from` and not cleared by then:
  // listed as recorded changes at the window's start (their `since` keeps the onset)
  VerdictsInForce in_force;
  auto carry_in_force = [&]() {
    for (auto& c : in_force.take()) feed(Event{start, std::move(c)});
  };
  TimeNs tail_ts = 0;  // the sample set just after `to`
  bool from_on_sample = false, to_on_sample = false;
  auto begin = [&](TimeNs ts, bool sample) {
    if (an) return;
    if (w.from && sample && ts == *w.from) from_on_sample = true;
    if (!before.empty() && !from_on_sample) {
      start = before.front().ts;  // widened to the samples enclosing the window
    } else {
      // --from inside the recording starts the window there; before it, at its first record
      start = w.from ? std::max(*w.from, r.first_ts) : ts;
    }
    an = std::make_unique<Analyzer>(reader.source(), start);
    if (!from_on_sample)
      for (const auto& e : before) feed(e);
    before.clear();
    carry_in_force();
  };
  reader.read([&](const RecordItem& it) {
    const TimeNs ts = it.event.ts;
    if (!r.have_data) r.first_ts = ts;
    r.have_data = true;
    r.first_ts = std::min(r.first_ts, ts);
    r.last_ts = std::max(r.last_ts, ts);
    if (it.kind == RecordItem::Kind::End) {
      r.ended = true;
      r.end_reason = it.end_reason;
    } else if (it.kind == RecordItem::Kind::Start) {
      r.ended = false;  // a later run of the store: its own end counts
    }
    if (past_end) return;
    const bool sample = it.kind == RecordItem::Kind::Event && is_sample(it.event.data);
    if (w.from && ts < *w.from) {
      if (const auto* c = std::get_if<VerdictChange>(&it.event.data)) in_force.on(*c);
      if (sample) {
        if (!before.empty() && before.front().ts != ts) before.clear();
        before.push_back(it.event);
      }
      return;
    }
    if (w.to && ts > *w.to) {
      // counters are cumulative: close the window with the next sample set
      if (to_on_sample || !an) return;
      if (sample && (!tail_ts || ts == tail_ts)) {
        tail_ts = ts;
        feed(it.event);
        last_in = ts;
      } else if (tail_ts) {
        past_end = true;
      }
      return;
    }
    begin(ts, sample);
    if (w.to && sample && ts == *w.to) to_on_sample = true;
    last_in = std::max(last_in, ts);
    // an End record closes a run, not the store: a later run may follow
    if (it.kind == RecordItem::Kind::Event) feed(it.event);
  });
  if (!an) {
    // nothing inside the window: an empty summary of the window itself
    start = w.from.value_or(r.first_ts);
    an = std::make_unique<Analyzer>(reader.source(), start);
    carry_in_force();
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
    if (const char* rest = strptime(spec.c_str(), fmt, &t))
      return wall_to_mono(h, local_epoch(t, parse_fraction(rest, spec)), spec);
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
