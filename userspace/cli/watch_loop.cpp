#include "cli/watch_loop.h"

#include <algorithm>
#include <map>

#include "core/untrusted_text.h"
#include "sinks/json/envelope.h"
#include "sinks/text/watch_render.h"

namespace kst::cli {
namespace {

const NodeStatus* status_of(const std::vector<NodeStatus>& all, int32_t nid) {
  for (const auto& s : all)
    if (s.nid == nid) return &s;
  return nullptr;
}

bool exit_match(const Verdict& v, const std::set<std::string>& exit_on) {
  return exit_on.count(verdict_key(v.kind)) || (v.alert && exit_on.count("any"));
}

}  // namespace

LoopEnd run_ticks(WatchSource& src, double tick_s, double duration_s, TimeNs start, const TickHooks& hooks,
                  const std::atomic<bool>& stop) {
  const auto ns = [](double s) { return static_cast<TimeNs>(s * 1e9); };
  const TimeNs tick = std::max<TimeNs>(ns(tick_s), 1000000);
  const TimeNs end = duration_s > 0 ? start + ns(duration_s) : 0;
  TimeNs next_tick = start + tick;
  while (!stop.load()) {
    const TimeNs now = src.now();
    if (now < next_tick) {
      const TimeNs wait = std::min<TimeNs>(next_tick - now, 100000000);
      src.poll(static_cast<int>((wait + 999999) / 1000000), hooks.feed);
      if (hooks.on_poll) hooks.on_poll(src.now());
      continue;
    }
    src.drain(hooks.feed);
    std::vector<Event> samples = src.sample();
    if (!hooks.on_tick(now, samples)) return LoopEnd::Hook;
    next_tick += tick;
    if (next_tick <= now) next_tick = now + tick;
    if (end && now >= end) return LoopEnd::Duration;
  }
  return LoopEnd::Stopped;
}

int run_watch(WatchSource& src, const WatchOptions& o, std::ostream& out, std::ostream& err,
              const std::atomic<bool>& stop) {
  Detector det(o.detector, src.info());
  const WatchSource::Sink feed = [&](Event&& e) { det.on_event(e); };
  const TimeNs start = src.now();
  for (auto& e : src.sample()) det.on_event(e);
  det.evaluate(start);

  // The ready banner, the same rule for every live command: one line on
  // stderr once the probes are attached and the first sample is taken,
  // ending in "Hit Ctrl-C to end." (docs/usage.md); stdout holds only output.
  if (!o.json)
    err << "kswaptrace watch: Linux " << src.info().kernel_release << ", a status line per node every "
        << o.interval << " s; verdicts need " << o.detector.hold_s << " s of evidence. Hit Ctrl-C to end.\n";
  else
    err << "kswaptrace watch: tracing, one JSON object per status line and verdict change. Hit Ctrl-C to "
           "end.\n";
  err.flush();
  out.flush();

  const auto ns = [](double s) { return static_cast<TimeNs>(s * 1e9); };
  const TimeNs status_step = std::max(ns(o.interval), std::max<TimeNs>(ns(o.tick), 1000000));
  TimeNs next_status = start + status_step;
  VerdictChanges changes;
  int rc = kExitOk;

  auto on_tick = [&](TimeNs now, std::vector<Event>& samples) {
    for (auto& e : samples) det.on_event(e);
    const TimeNs t = samples.empty() ? src.now() : samples.front().ts;
    const std::vector<Verdict>& verdicts = det.evaluate(t);
    const std::string label = src.label(t);
    const HostIdentity host = src.host();
    print_changes(changes.update(verdicts), det, o.json, t, label, out, &host);
    if (now >= next_status) {
      for (const auto& st : det.status()) {
        if (o.json)
          out << json_text(watch_json(status_json(st, verdicts, t), host, t)) << "\n";
        else
          out << terminal_safe(render_status_line(st, verdicts, label));
      }
      next_status += status_step;
      if (next_status <= now) next_status = now + status_step;
    }
    out.flush();
    for (const auto& v : verdicts)
      if (exit_match(v, o.exit_on)) {
        err << "kswaptrace: " << v.kind << " on node " << v.nid << ": exiting with code " << kExitVerdict
            << " (--exit-on)\n";
        rc = kExitVerdict;
        return false;
      }
    return true;
  };
  run_ticks(src, o.tick, o.duration, start, {feed, on_tick, nullptr}, stop);
  return rc;
}

nlohmann::json watch_json(nlohmann::json j, const HostIdentity& host, TimeNs t) {
  add_envelope(j, "watch", host, host.wall_ns(t));
  return j;
}

void print_changes(const std::vector<VerdictChange>& changes, const Detector& det, bool json, TimeNs t,
                   const std::string& label, std::ostream& out, const HostIdentity* host) {
  const HostIdentity here = host ? *host : live_host_identity();
  for (const auto& [raised, v] : changes) {
    if (json)
      out << json_text(watch_json(verdict_change_json(v, raised, t, &here), here, t)) << "\n";
    else if (!raised)
      out << terminal_safe(render_verdict_cleared(v, t, label, here.realtime_offset_ns));
    else
      out << terminal_safe(render_verdict_raised(v, status_of(det.status(), v.nid),
                                                 det.zones() ? det.zones()->zones : std::vector<ZoneInfo>{},
                                                 label, here.realtime_offset_ns))
          << "\n";
  }
}

}  // namespace kst::cli
