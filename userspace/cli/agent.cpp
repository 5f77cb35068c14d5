// `kswaptrace agent`: the long-running service mode (docs/agent.md). The live
// detector on the shared tick loop (cli/watch_loop.h), feeding the metrics
// (sinks/metrics/) and, optionally, a recording; systemd readiness and
// watchdog through sd_notify.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/detector_options.h"
#include "cli/live_options.h"
#include "cli/size_option.h"
#include "cli/trace_scope.h"
#include "cli/watch_loop.h"
#include "sinks/metrics/publisher.h"
#include "sinks/recording/recording_writer.h"
#include "sources/live/live_source.h"
#ifdef KST_HAVE_PROMETHEUS
#include "sinks/metrics/prom_exporter.h"
#endif
#ifdef KST_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace kst::cli {
namespace {

#ifdef KST_HAVE_PROMETHEUS
constexpr const char* kDefaultListen = "127.0.0.1:9532";
constexpr const char* kNoExporter = "";
#else
constexpr const char* kDefaultListen = "off";
constexpr const char* kNoExporter =
    " (this kswaptrace was built without the Prometheus exporter: the static build cannot link "
    "prometheus-cpp)";
#endif

struct AgentOptions {
  DetectorOptions detector;
  LiveOptions live;
  std::string record_dir, max_size = "64M";
  double flush_interval = 1;
  std::string listen = kDefaultListen, textfile, state_dir = "/var/lib/kswaptrace";
  double tick = 1, duration = 0;
  bool json = false;
  std::string config;         // TOML file of these options (cli/config_file.h)
  std::string zoneinfo_file;  // hidden, tests only: zone samples read from this file
  ScopeOptions scope;         // -c only: a service outlives any -p process
  TraceScope traced;          // what prepare_scope() made of it
};

// systemd's notification socket; nothing without libsystemd or outside a unit.
class Notifier {
 public:
  Notifier() {
#ifdef KST_HAVE_SYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) ping_every_ = usec * 1000 / 2;  // half of WATCHDOG_USEC
#endif
  }
  void send(const std::string& s) {
#ifdef KST_HAVE_SYSTEMD
    sd_notify(0, s.c_str());
#else
    (void)s;
#endif
  }
  void status(const std::string& s) {
    if (s != last_status_) send("STATUS=" + s);
    last_status_ = s;
  }
  void watchdog(TimeNs now) {
    if (!ping_every_ || now < next_ping_) return;
    send("WATCHDOG=1");
    next_ping_ = now + ping_every_;
  }

 private:
  TimeNs ping_every_ = 0, next_ping_ = 0;
  std::string last_status_;
};

// Test-only source decorator: zone samples from a file (re-read each time),
// so a runtime test can make the detector see a TINY-ZONE layout on a host
// whose own zones never have one. Everything else stays live. The hot-add
// monitor's zone samples (poll, drain) are rewritten too: a host sample
// between two file samples would look like a zone changing size, and zone
// hazards wait while a zone settles.
class ZoneinfoFileSource : public WatchSource {
 public:
  ZoneinfoFileSource(WatchSource& in, std::string path) : in_(in), path_(std::move(path)) {}
  const SourceInfo& info() const override { return in_.info(); }
  TimeNs now() override { return in_.now(); }
  void poll(int ms, const Sink& s) override { in_.poll(ms, rewriting(s)); }
  void drain(const Sink& s) override { in_.drain(rewriting(s)); }
  std::string label(TimeNs t) override { return in_.label(t); }
  std::vector<Event> sample() override {
    std::vector<Event> v = in_.sample();
    for (auto& e : v) rewrite(e);
    return v;
  }

 private:
  void rewrite(Event& e) const {
    auto* zs = std::get_if<ZoneSample>(&e.data);
    if (!zs) return;
    std::ifstream f(path_);
    if (!f.is_open()) throw std::runtime_error("--zoneinfo-file: cannot read " + path_);
    std::stringstream ss;
    ss << f.rdbuf();
    zs->zones = parse_zoneinfo(ss.str());
  }
  Sink rewriting(const Sink& s) const {
    return [this, &s](Event&& e) {
      rewrite(e);
      s(std::move(e));
    };
  }

  WatchSource& in_;
  std::string path_;
};

std::string status_text(const std::vector<Verdict>& verdicts, const metrics::MetricModel& m) {
  std::string s;
  for (const auto& v : verdicts)
    if (!v.pending) s += (s.empty() ? "" : ", ") + v.kind + " on node " + std::to_string(v.nid);
  return "tracing; verdicts: " + (s.empty() ? std::string("none") : s) +
         "; lost events: " + std::to_string(static_cast<uint64_t>(m.counter("kswaptrace_lost_events_total")));
}

// Everything one run of the agent holds; tick() is the per-sample pipeline.
struct Agent {
  const AgentOptions& o;
  WatchSource& src;
  Detector det;
  metrics::MetricsCollector col;
  std::unique_ptr<metrics::MetricsPublisher> pub;
  std::unique_ptr<RecordingWriter> w;
  VerdictChanges changes;
  Notifier notify;

  Agent(const AgentOptions& opts, WatchSource& s, TimeNs start)
      : o(opts),
        src(s),
        det(opts.detector.resolve(), s.info()),
        col(s.info(), KSWAPTRACE_VERSION, start, opts.traced.cgroup) {}

  void feed(const Event& e) {
    det.on_event(e);
    col.on_event(e);
    if (w) w->write(e);
  }
  void tick(std::vector<Event>& samples) {
    for (auto& e : samples) feed(e);
    const TimeNs t = samples.empty() ? src.now() : samples.front().ts;
    const std::vector<Verdict>& verdicts = det.evaluate(t);
    const std::vector<VerdictChange> ch = changes.update(verdicts);
    print_changes(ch, det, o.json, t, src.label(t), std::cout);
    std::cout.flush();
    for (const auto& c : ch)
      if (w) w->write(Event{t, c});
    if (w) col.model().set("kswaptrace_recording_bytes", {}, static_cast<double>(w->total_size()));
    pub->publish(t, verdicts);
    notify.status(status_text(verdicts, col.model()));
  }
};

#ifdef KST_HAVE_PROMETHEUS
struct Exporter {
  metrics::PromMirror mirror;
  std::unique_ptr<metrics::MetricsEndpoint> endpoint;
};
#else
struct Exporter {};
#endif

// The HTTP endpoint is bound before the probes load: a port in use fails fast.
std::unique_ptr<Exporter> open_exporter(const AgentOptions& o, metrics::PublisherOptions& po) {
  auto ex = std::make_unique<Exporter>();
#ifdef KST_HAVE_PROMETHEUS
  Exporter* e = ex.get();
  if (o.listen != "off")
    e->endpoint = std::make_unique<metrics::MetricsEndpoint>(o.listen, e->mirror.registry());
  po.exposers.push_back([e](const metrics::MetricModel& m) { e->mirror.update(m); });
  if (!o.textfile.empty())
    po.exposers.push_back([e, path = o.textfile](const metrics::MetricModel&) {
      metrics::write_file_atomic(path, e->mirror.text(), false);
    });
#else
  (void)o;
  (void)po;
#endif
  return ex;
}

int run_loop(const AgentOptions& o, WatchSource& src, Agent& a, TimeNs start) {
  TickHooks hooks;
  hooks.feed = [&](Event&& e) { a.feed(e); };
  hooks.on_tick = [&](TimeNs, std::vector<Event>& samples) {
    a.tick(samples);
    a.notify.watchdog(src.now());
    return true;
  };
  hooks.on_poll = [&](TimeNs now) {
    a.notify.watchdog(now);
    if (a.w) a.w->maybe_flush(now);
  };
  const LoopEnd end = run_ticks(src, o.tick, o.duration, start, hooks, g_stop);
  a.notify.send("STOPPING=1");
  // stopped: what the ring buffer still holds reaches the metrics and the recording
  src.drain(hooks.feed);
  std::vector<Event> last = src.sample();
  a.tick(last);
  if (a.w)
    a.w->finish(last.empty() ? src.now() : last.front().ts,
                end == LoopEnd::Duration ? rec::EndReason::DurationElapsed : rec::EndReason::Stopped);
  std::cerr << "kswaptrace agent: stopped\n";
  return kExitOk;
}

int run_traced(const AgentOptions& o, WatchSource& src, metrics::PublisherOptions po) {
  const TimeNs start = src.now();
  std::vector<Event> first = src.sample();
  Agent a(o, src, start);
  a.pub = std::make_unique<metrics::MetricsPublisher>(a.col, std::move(po));
  if (!o.record_dir.empty()) {
    RecordingOptions ro;
    ro.dir = o.record_dir;
    parse_size(o.max_size, ro.max_size);
    ro.flush_interval_s = o.flush_interval;
    ro.sample_interval_s = o.tick;
    RecordingMeta meta{src.info(), {}, o.traced};
    for (const auto& e : first)
      if (const auto* zs = std::get_if<ZoneSample>(&e.data)) meta.zones = zs->zones;
    try {
      a.w = std::make_unique<RecordingWriter>(ro, meta);
    } catch (const RecordingError& e) {  // nothing was recorded by this run
      throw std::runtime_error(e.what());
    }
    a.w->start(start);
  }
  a.tick(first);
  a.notify.send("READY=1");
  std::cerr << "kswaptrace agent: tracing (counters " << (a.pub->restored() ? "restored from " : "new in ")
            << o.state_dir << ")" << (o.listen != "off" ? "; metrics on http://" + o.listen + "/metrics" : "")
            << (o.textfile.empty() ? "" : "; textfile " + o.textfile)
            << (o.record_dir.empty() ? "" : "; recording to " + o.record_dir) << ". Hit Ctrl-C to end.\n";
  return run_loop(o, src, a, start);
}

int run_agent(AgentOptions& o) {
  uint64_t cap = 0;
  if (const std::string err = size_option_error("--max-size", o.max_size, cap, kMinMaxSize); !err.empty())
    return fail(err, kExitUsage);
  if (int rc = prepare_scope(o.scope, o.live, o.traced)) return rc;
#ifndef KST_HAVE_PROMETHEUS
  if (o.listen != "off" || !o.textfile.empty())
    return fail(std::string("--listen and --textfile are unavailable") + kNoExporter, kExitUsage);
#endif
  install_stop_signals();
  metrics::PublisherOptions po;
  po.state_dir = o.state_dir;
  std::unique_ptr<Exporter> ex;
  try {
    ex = open_exporter(o, po);
    FeatureProbe probe(o.live.btf);
    std::unique_ptr<LiveSource> live = open_live_source(o.live, probe);
    if (!live) return kExitError;
    LiveWatchSource lsrc(std::move(live));
    for (const auto& d : lsrc.info().degraded) std::cerr << "kswaptrace: note: " << d << "\n";
    if (o.traced.limited()) std::cerr << "kswaptrace agent: " << scope_note(o.traced) << "\n";
    if (o.zoneinfo_file.empty()) return run_traced(o, lsrc, std::move(po));
    ZoneinfoFileSource zsrc(lsrc, o.zoneinfo_file);
    return run_traced(o, zsrc, std::move(po));
  } catch (const TraceError& e) {
    return fail(e.what());
  } catch (const RecordingError& e) {
    return fail(std::string(e.what()) + ": the agent stopped; what was recorded is kept");
  } catch (const std::runtime_error& e) {  // state file, textfile, listen address, zoneinfo file
    return fail(e.what());
  }
}

void add_output_options(CLI::App& sub, AgentOptions& o) {
  sub.add_option("--listen", o.listen,
                 std::string("serve Prometheus metrics on HOST:PORT (/metrics); 'off' for none. Any "
                             "address but loopback only when given explicitly") +
                     kNoExporter)
      ->capture_default_str();
  sub.add_option("--textfile", o.textfile,
                 std::string("also write the metrics to this file for node_exporter's textfile collector "
                             "(*.prom; written to a temporary file in its directory and renamed)") +
                     kNoExporter);
  sub.add_option("--state-dir", o.state_dir,
                 "directory of the counter state file that keeps counters monotonic across restarts")
      ->capture_default_str();
  sub.add_option("--record", o.record_dir, "also record to this directory (as `record -o`)");
  sub.add_option("--max-size", o.max_size, "recording size cap; oldest segments are evicted")
      ->capture_default_str();
  sub.add_option("--flush-interval", o.flush_interval, "seconds between recording flushes")
      ->check(CLI::Range(0.01, 60.0))
      ->capture_default_str();
  sub.add_flag("-j,--json", o.json, "verdict changes as JSON lines on stdout (default: text blocks)");
}

}  // namespace

void register_agent(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<AgentOptions>();
  CLI::App* sub = app.add_subcommand(
      "agent",
      "run as a service: the live detector, Prometheus metrics (HTTP and/or node_exporter textfile), "
      "optionally a recording; SIGTERM/SIGINT/SIGHUP stop it cleanly. docs/agent.md");
  sub->add_option("--config", o->config,
                  "read options from this TOML file (keys: the long option names, e.g. hold = 30); the "
                  "command line wins; an unknown key is an error");
  sub->add_option("--tick", o->tick, "seconds between samples, evaluations and metric updates")
      ->check(CLI::Range(0.1, 60.0))
      ->capture_default_str();
  sub->add_option("-d,--duration", o->duration, "stop after SECONDS (default: until stopped)")
      ->check(CLI::PositiveNumber);
  add_output_options(*sub, *o);
  add_detector_options(*sub, o->detector);
  add_live_options(*sub, o->live);
  add_filter_options(*sub, o->scope, false);
  sub->add_option("--zoneinfo-file", o->zoneinfo_file, "tests only: zone samples from this file")
      ->group("");  // hidden
  set_examples(*sub, {"kswaptrace agent --config /etc/kswaptrace/agent.toml",
                      "kswaptrace agent --listen 127.0.0.1:9532 --record /var/lib/kswaptrace/rec"});
  reg.push_back({sub, [o, sub]() {
                   if (!o->config.empty()) try {
                       apply_config_file(*sub, o->config);
                     } catch (const std::runtime_error& e) {
                       return fail(e.what(), kExitUsage);
                     }
                   return run_agent(*o);
                 }});
}

}  // namespace kst::cli
