// `kswaptrace record`: the one-shot's live source, streamed to a recording.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/live_options.h"
#include "cli/size_option.h"
#include "cli/trace_scope.h"
#include "core/detector.h"
#include "sinks/recording/recording_writer.h"
#include "sources/live/live_source.h"

namespace kst::cli {
namespace {

struct RecordOptions {
  std::string out;
  std::string max_size = "64M";
  double flush_interval = 1.0;
  double sample_interval = 1.0;
  double duration = 0;
  LiveOptions live;
  ScopeOptions scope;
};

int run_record(RecordOptions& o) {
  RecordingOptions ro;
  ro.dir = o.out;
  if (const std::string err = size_option_error("--max-size", o.max_size, ro.max_size, kMinMaxSize);
      !err.empty())
    return fail(err, kExitUsage);
  ro.flush_interval_s = o.flush_interval;
  ro.sample_interval_s = o.sample_interval;
  TraceScope scope;
  if (int rc = prepare_scope(o.scope, o.live, scope)) return rc;

  install_stop_signals();
  FeatureProbe probe(o.live.btf);
  std::unique_ptr<LiveSource> src = open_live_source(o.live, probe);
  if (!src) return kExitError;

  const TimeNs start = monotonic_now();
  std::vector<Event> samples = src->sample();
  RecordingMeta meta;
  meta.source = src->info();
  meta.scope = scope;
  for (const auto& e : samples)
    if (const auto* zs = std::get_if<ZoneSample>(&e.data)) meta.zones = zs->zones;
  std::unique_ptr<RecordingWriter> w;
  std::optional<ProbeCounters> first_probe, last_probe;
  auto note = [&](const Event& e) {
    if (const auto* p = std::get_if<ProbeCounters>(&e.data)) {
      if (!first_probe) first_probe = *p;
      last_probe = *p;
    }
  };
  auto summary = [&]() {
    const WriterStats& st = w->stats();
    const uint64_t lost = last_probe ? last_probe->ringbuf_drops - first_probe->ringbuf_drops : 0;
    std::cerr << "kswaptrace: recorded " << st.events << " events in " << st.blocks << " blocks ("
              << mib(st.raw_bytes) << " raw, " << mib(st.disk_bytes) << " written), " << w->total_size()
              << " bytes in " << w->segments_on_disk() << " segment(s) of " << o.out << " ("
              << st.segments_evicted << " evicted); lost ring-buffer records: " << lost << "\n";
  };

  // the detector runs over what is recorded (default thresholds, as the
  // one-shot); its verdict changes are recorded too, as they happened
  Detector det({}, src->info());
  VerdictChanges changes;
  auto record_samples = [&](const std::vector<Event>& batch, TimeNs now) {
    for (const auto& e : batch) {
      note(e);
      det.on_event(e);
      w->write(e);
    }
    const TimeNs t = batch.empty() ? now : batch.front().ts;
    for (auto& c : changes.update(det.evaluate(t))) w->write(Event{t, std::move(c)});
  };

  rec::EndReason reason = rec::EndReason::Stopped;
  try {
    w = std::make_unique<RecordingWriter>(ro, meta);
    w->start(start);
    record_samples(samples, start);
    std::cerr << "Recording to " << o.out;
    if (w->run() > 1)
      std::cerr << " (continuing recording " << w->recording_id() << " as run " << w->run() << ", "
                << w->stats().prior_segments << " segment(s) kept)";
    std::cerr << " (max " << mib(ro.max_size) << ", flush every " << ro.flush_interval_s
              << " s, samples every " << ro.sample_interval_s << " s)";
    if (o.duration > 0) std::cerr << " for " << o.duration << " s";
    std::cerr << "... Hit Ctrl-C to end.\n";
    if (scope.limited()) std::cerr << "kswaptrace: " << scope_note(scope) << "\n";
    PidWatch pid_watch(scope.pids);

    const EventSink sink = [&](Event&& e) {
      det.on_event(e);
      w->write(e);
    };
    const TimeNs step = static_cast<TimeNs>(o.sample_interval * 1e9);
    const TimeNs deadline = o.duration > 0 ? start + static_cast<TimeNs>(o.duration * 1e9) : 0;
    TimeNs next_sample = start + step;
    while (!g_stop.load()) {
      TimeNs now = monotonic_now();
      TimeNs wake = next_sample;
      if (deadline) wake = std::min(wake, deadline);
      const int timeout_ms =
          wake > now ? static_cast<int>(std::min<TimeNs>((wake - now) / 1000000 + 1, 100)) : 0;
      src->poll(timeout_ms, sink);
      now = monotonic_now();
      if (deadline && now >= deadline) {
        reason = rec::EndReason::DurationElapsed;
        break;
      }
      if (pid_watch.all_exited()) {  // -p: nothing left to record but kswapd
        reason = rec::EndReason::PidsExited;
        break;
      }
      if (now >= next_sample) {
        src->drain(sink);
        record_samples(src->sample(), now);
        next_sample += step;
        if (next_sample <= now) next_sample = now + step;  // fell behind: do not burst
      }
      w->maybe_flush(now);
    }
    // stopped: everything traced so far reaches the disk
    src->drain(sink);
    samples = src->sample();
    record_samples(samples, monotonic_now());
    w->finish(samples.empty() ? monotonic_now() : samples.front().ts, reason);
  } catch (const TraceError& e) {
    if (w) {
      try {
        w->finish(monotonic_now(), rec::EndReason::Error);
      } catch (const RecordingError&) {
      }
    }
    return fail(e.what());
  } catch (const RecordingError& e) {
    if (!w) return fail(e.what());
    summary();
    if (e.disk_full)
      return fail(std::string(e.what()) + ": recording stopped; the " + std::to_string(w->total_size()) +
                  " bytes already in " + o.out + " are kept and readable");
    return fail(std::string(e.what()) + ": recording stopped; what was written is kept");
  }
  summary();
  if (reason == rec::EndReason::PidsExited)
    return fail(pids_exited_message(scope, (monotonic_now() - start) / 1e9, "recording ended (kept)"));
  return kExitOk;
}

}  // namespace

void register_record(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<RecordOptions>();
  CLI::App* sub = app.add_subcommand(
      "record", "record kswapd, reclaim events and periodic samples to a size-capped directory of segments");
  sub->add_option("-o,--output", o->out,
                  "recording directory (created 0700; one that holds a recording is continued as a new run)")
      ->required();
  sub->add_option("--max-size", o->max_size, "total size cap; oldest segments are evicted (default 64M)");
  sub->add_option("--flush-interval", o->flush_interval, "seconds between flushes to disk (default 1)")
      ->check(CLI::Range(0.01, 60.0));
  sub->add_option("--sample-interval", o->sample_interval,
                  "seconds between samples of /proc and in-kernel aggregates (default 1)")
      ->check(CLI::Range(0.01, 3600.0));
  sub->add_option("-d,--duration", o->duration, "stop after SECONDS (default: until Ctrl-C/SIGTERM/SIGHUP)")
      ->check(CLI::Range(0.01, 31536000.0));
  add_live_options(*sub, o->live);
  add_filter_options(*sub, o->scope);
  set_examples(*sub, {"kswaptrace record -o /var/lib/kswaptrace/rec --max-size 1G",
                      "kswaptrace record -o rec -d 60", "kswaptrace record -o rec -p 4242"});
  reg.push_back({sub, [o]() { return run_record(*o); }});
}

}  // namespace kst::cli
