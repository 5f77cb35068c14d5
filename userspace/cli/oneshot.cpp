// The one-shot command: trace for a while, print a summary (text or JSON).

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/html_output.h"
#include "cli/live_options.h"
#include "cli/trace_scope.h"
#include "core/analyzer.h"
#include "core/detector.h"
#include "core/untrusted_text.h"
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "sources/live/live_source.h"
#include "sources/procfs/host_identity_reader.h"

namespace kst::cli {
namespace {

struct OneshotOptions {
  double duration = 0;
  double interval = 0;
  int count = 0;
  bool json = false;
  std::string html;        // --html FILE: the window as an HTML page too
  bool timestamp = false;  // -T
  bool full = false;       // --full: the whole summary every interval
  LiveOptions live;
  ScopeOptions scope;
};

// The live host's facts for the page header (a recording has them in its header).
PageContext live_page_context(const Summary& s) {
  const HostIdentity host = live_host_identity();
  return {
      host.hostname,      "",     local_time_ns(host.wall_ns(s.start)), local_time_ns(host.wall_ns(s.end)),
      KSWAPTRACE_VERSION, s.start};
}

// -- CMD: fork it (held until released), and put it in the -p set
std::unique_ptr<ChildCommand> start_command(LiveSource& src, TraceScope& scope) {
  if (g_command.empty()) return nullptr;
  auto child = std::make_unique<ChildCommand>(g_command);
  if (!scope.whole_system) src.bpf_tracer()->trace_process(static_cast<uint32_t>(child->pid()));
  scope.command_pid = static_cast<uint32_t>(child->pid());
  return child;
}

// How the one-shot ends after its final summary: CMD's status, or an error
// line when the -p processes went away before the window ended.
int end_code(const TraceScope& scope, bool pids_gone, double traced_s) {
  if (!scope.command.empty() && scope.command_exited) {
    if (scope.signal)
      std::cerr << "kswaptrace: command killed by signal " << scope.signal << "\n";
    else
      std::cerr << "kswaptrace: command exited with status " << scope.exit_status << "\n";
    return command_exit_code(scope);
  }
  if (pids_gone) return fail(pids_exited_message(scope, traced_s, "tracing ended early"));
  return kExitOk;
}

// Prints one window. Interval mode's text is a line per interval under a
// column header (repeated every kHeaderEvery lines, as vmstat does), so an
// hour of it stays readable; --full prints the whole summary each time.
class Printer {
 public:
  explicit Printer(const OneshotOptions& o) : o_(o), interval_(o.interval > 0) {}

  // `page`: the JSON object an --html page of this window embeds, so that
  // stdout and the page carry the same one (its time included)
  void print(const Summary& s, const nlohmann::json* page = nullptr) {
    const HostIdentity host = live_host_identity();
    const std::string time = o_.timestamp ? hms_utc(host.wall_ns(s.end)) : "";
    if (o_.json) {
      std::cout << json_text(page ? *page : summary_json(s, "summary", host), interval_ ? -1 : 2) << "\n";
    } else if (interval_ && !o_.full) {
      if (lines_ == 0)
        for (const auto& d : s.source.degraded) std::cout << "note: " << terminal_safe(d) << "\n";
      if (lines_ % kHeaderEvery == 0) std::cout << render_interval_header(o_.timestamp);
      std::cout << terminal_safe(render_interval_line(s, time));
      lines_++;
    } else {
      if (o_.timestamp)
        std::cout << "=== " << rfc3339_utc(host.wall_ns(s.start)) << " .. "
                  << rfc3339_utc(host.wall_ns(s.end)) << " ===\n";
      std::cout << terminal_safe(render_text(s)) << (interval_ ? "\n" : "");
    }
    std::cout.flush();
  }

 private:
  static constexpr int kHeaderEvery = 25;
  const OneshotOptions& o_;
  const bool interval_;
  int lines_ = 0;
};

int run_oneshot(OneshotOptions& o) {
  TraceScope scope;
  if (int rc = prepare_scope(o.scope, o.live, scope)) return rc;
  install_stop_signals();
  FeatureProbe probe(o.live.btf);
  std::unique_ptr<LiveSource> src = open_live_source(o.live, probe);
  if (!src) return kExitError;
  std::unique_ptr<ChildCommand> child;
  try {
    child = start_command(*src, scope);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  PidWatch pid_watch(scope.pids);
  bool pids_gone = false;
  const auto ended = [&] {
    if (child && child->reap(scope)) return true;
    pids_gone = pids_gone || pid_watch.all_exited();
    return pids_gone;
  };
  const bool interval_mode = o.interval > 0;
  Printer printer(o);
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
    if (!html) {
      printer.print(s);
      return kExitOk;
    }
    const nlohmann::json j = summary_json(s, "summary", live_host_identity());
    printer.print(s, &j);
    return write_html(o.html, j, series.finish(s.start, s.end), live_page_context(s));
  };
  const auto with_verdicts = [&](Summary s) {
    det.evaluate(s.end);
    s.have_verdicts = true;
    s.verdicts = det.report();
    s.scope = scope;
    return s;
  };
  feed(src->sample());
  det.evaluate(start);
  // only now, with the first sample taken, does the window really start
  if (child) {
    int code = kExitError;
    const std::string err = child->release(&code);
    if (!err.empty())
      return fail("cannot run " + terminal_safe(to_valid_utf8(g_command[0])) + ": " + err, code);
  }
  if (child)
    std::cerr << "Tracing kswapd, reclaim and page allocations while the command runs...\n";
  else if (window > 0 && !interval_mode)
    std::cerr << "Tracing kswapd, reclaim and page allocations for " << window
              << " s... Hit Ctrl-C to end.\n";
  else
    std::cerr << "Tracing kswapd, reclaim and page allocations... Hit Ctrl-C to end.\n";

  TimeNs next_tick = start + 1000000000ull;
  int remaining = o.count;
  const TimeNs step = window > 0 ? static_cast<TimeNs>(window * 1e9) : 0;
  TimeNs deadline = step ? start + step : 0;
  try {
    while (!g_stop.load() && !ended()) {
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
      printer.print(with_verdicts(an->summary(end)));
      next_tick = now + 1000000000ull;
      if (o.count > 0 && --remaining == 0) return kExitOk;
      an = std::make_unique<Analyzer>(src->info(), end);
      for (auto& e : samples) an->on_event(e);
      deadline += step;
    }
    // stopped by a signal, CMD's end or the -p processes': everything traced so far is reported
    src->drain(sink);
    std::vector<Event> samples = src->sample();
    feed(samples);
    const TimeNs end = samples.empty() ? monotonic_now() : samples.front().ts;
    const Summary s = with_verdicts(an->summary(end));
    if (!interval_mode) {
      if (const int rc = report(s); rc != kExitOk) return rc;
    } else {
      printer.print(s);
    }
    return end_code(scope, pids_gone, (end - start) / 1e9);
  } catch (const TraceError& e) {
    return fail(e.what());
  }
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
  app.add_option(
      "--html", o->html,
      "also write the window as one self-contained HTML page (charts, verdicts) to FILE ('-': stdout)");
  app.add_flag("-T,--timestamp", o->timestamp,
               "text: each interval line starts with its end time (UTC HH:MM:SS); a summary with its window");
  app.add_flag("--full", o->full, "interval mode: the whole summary every interval, not one line");
  add_live_options(app, o->live);
  add_scope_options(app, o->scope);
  set_examples(app,
               {"kswaptrace -d 10                # trace 10 s, print a summary",
                "kswaptrace 5 12 -T              # a line per 5 s, 12 times, with wall-clock time",
                "kswaptrace -d 30 --json > summary.json",
                "kswaptrace COMMAND --help       # COMMAND: features watch record report export explain gfp "
                "fix-watermarks agent"});
  reg.push_back({&app, [o, &app]() {
                   if (o->duration > 0 && o->interval > 0)
                     return fail("use either -d SECONDS or INTERVAL [COUNT], not both", kExitUsage);
                   if (!o->html.empty() && o->interval > 0)
                     return fail("--html writes one page for one window: use it with -d SECONDS (or Ctrl-C)",
                                 kExitUsage);
                   if (o->duration > 0 && !g_command.empty())
                     return fail("-d and -- CMD: the command's run is the window", kExitUsage);
                   (void)app;
                   return run_oneshot(*o);
                 }});
}

}  // namespace kst::cli
