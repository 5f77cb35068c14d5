// The one-shot command: trace for a while, print a summary (text or JSON).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/html_output.h"
#include "cli/live_options.h"
#include "core/analyzer.h"
#include "core/detector.h"
#include "core/untrusted_text.h"
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "sources/live/live_source.h"

namespace kst::cli {
namespace {

struct OneshotOptions {
  double duration = 0;
  double interval = 0;
  int count = 0;
  bool json = false;
  std::string html;  // --html FILE: the window as an HTML page too
  LiveOptions live;
};

// The live host's facts for the page header (a recording has them in its header).
PageContext live_page_context(const Summary& s) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  timespec rt{}, mono{};
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  const int64_t offset = (rt.tv_sec - mono.tv_sec) * 1000000000ll + (rt.tv_nsec - mono.tv_nsec);
  return {host, "", local_time_ns(static_cast<int64_t>(s.start) + offset),
          local_time_ns(static_cast<int64_t>(s.end) + offset), KSWAPTRACE_VERSION, s.start};
}

void print(const Summary& s, bool json, bool lines) {
  if (json)
    std::cout << json_text(to_json(s), lines ? -1 : 2) << "\n";
  else
    std::cout << terminal_safe(render_text(s)) << (lines ? "\n" : "");
  std::cout.flush();
}

int run_oneshot(const OneshotOptions& o) {
  install_stop_signals();
  FeatureProbe probe(o.live.btf);
  std::unique_ptr<LiveSource> src = open_live_source(o.live, probe);
  if (!src) return kExitError;
  const bool interval_mode = o.interval > 0;
  const double window = interval_mode ? o.interval : o.duration;

  TimeNs start = monotonic_now();
  auto an = std::make_unique<Analyzer>(src->info(), start);
  // the detector needs a sample every second (its rules hold over time) and
  // lives across intervals; its verdicts at the end of a window go in the summary
  Detector det({}, src->info());
  HtmlSeriesBuilder series;
  const bool html = !o.html.empty();
  const EventSink sink = [&](Event&& e) {
    an->on_event(e);
    det.on_event(e);
    if (html) series.on_event(e);
  };
  const auto feed = [&](const std::vector<Event>& samples) {
    for (auto& e : samples) {
      an->on_event(e);
      det.on_event(e);
      if (html) series.on_event(e);
    }
  };
  // the text or JSON summary on stdout, and with --html the same summary as a page
  const auto report = [&](const Summary& s) {
    print(s, o.json, interval_mode);
    if (!html) return kExitOk;
    return write_html(o.html, to_json(s), series.finish(s.start, s.end), live_page_context(s));
  };
  const auto with_verdicts = [&](Summary s) {
    det.evaluate(s.end);
    s.have_verdicts = true;
    s.verdicts = det.report();
    return s;
  };
  feed(src->sample());
  det.evaluate(start);
  // only now, with the first sample taken, does the window really start
  if (window > 0 && !interval_mode)
    std::cerr << "Tracing kswapd, reclaim and page allocations for " << window
              << " s... Hit Ctrl-C to end.\n";
  else
    std::cerr << "Tracing kswapd, reclaim and page allocations... Hit Ctrl-C to end.\n";
  TimeNs next_tick = start + 1000000000ull;
  int remaining = o.count;
  const TimeNs step = window > 0 ? static_cast<TimeNs>(window * 1e9) : 0;
  TimeNs deadline = step ? start + step : 0;
  try {
    while (!g_stop.load()) {
      src->poll(100, sink);
      const TimeNs now = monotonic_now();
      if ((!deadline || now < deadline) && now >= next_tick) {
        src->drain(sink);
        std::vector<Event> samples = src->sample();
        feed(samples);
        det.evaluate(samples.empty() ? now : samples.front().ts);
        next_tick = now + 1000000000ull;
      }
      if (!deadline || now < deadline) continue;
      src->drain(sink);
      std::vector<Event> samples = src->sample();
      feed(samples);
      const TimeNs end = samples.empty() ? now : samples.front().ts;
      if (!interval_mode) return report(with_verdicts(an->summary(end)));
      print(with_verdicts(an->summary(end)), o.json, interval_mode);
      next_tick = now + 1000000000ull;
      if (o.count > 0 && --remaining == 0) return kExitOk;
      an = std::make_unique<Analyzer>(src->info(), end);
      for (auto& e : samples) an->on_event(e);
      deadline += step;
    }
    // stopped by a signal: everything traced so far is reported
    src->drain(sink);
    std::vector<Event> samples = src->sample();
    feed(samples);
    const Summary s = with_verdicts(an->summary(samples.empty() ? monotonic_now() : samples.front().ts));
    if (!interval_mode) return report(s);
    print(s, o.json, interval_mode);
  } catch (const TraceError& e) {
    return fail(e.what());
  }
  return kExitOk;
}

}  // namespace

void register_oneshot(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<OneshotOptions>();
  app.add_option("-d,--duration", o->duration, "trace for SECONDS, then print the summary")
      ->check(CLI::Range(0.01, 31536000.0));
  app.add_option("interval", o->interval, "print a summary every INTERVAL seconds (BCC style)")
      ->check(CLI::Range(0.01, 31536000.0));
  app.add_option("count", o->count, "stop after COUNT intervals")->check(CLI::Range(1, 1 << 30));
  app.add_flag("-j,--json", o->json, "print the summary as JSON (one object per line with intervals)");
  app.add_option("--html", o->html,
                 "also write the window as one self-contained HTML page (charts, verdicts) to FILE ('-': stdout)");
  add_live_options(app, o->live);
  reg.push_back({&app, [o, &app]() {
                   if (o->duration > 0 && o->interval > 0)
                     return fail("use either -d SECONDS or INTERVAL [COUNT], not both", kExitUsage);
                   if (!o->html.empty() && o->interval > 0)
                     return fail("--html writes one page for one window: use it with -d SECONDS (or Ctrl-C)",
                                 kExitUsage);
                   (void)app;
                   return run_oneshot(*o);
                 }});
}

}  // namespace kst::cli
