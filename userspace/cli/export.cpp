// `kswaptrace export`: a recording as a Chrome/Perfetto trace-event JSON.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "core/detector.h"
#include "core/untrusted_text.h"
#include "sinks/json/envelope.h"
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "sinks/trace/chrome_trace.h"
#include "sources/recording/recording_replay.h"

namespace kst::cli {
namespace {

struct ExportOptions {
  std::string path, format = "chrome-trace", out;
  std::string from, to;
  std::string timestamps = "relative";  // or "monotonic": the recorded host's CLOCK_MONOTONIC
};

void warn(const std::string& m) { std::cerr << "kswaptrace: warning: " << m << "\n"; }

// Run boundaries of a restarted recorder as global instants: where each run
// ended (and how), where the next began.
void mark_runs(ChromeTraceBuilder& b, const std::vector<rec::RecordingRun>& runs, std::optional<TimeNs> from,
               std::optional<TimeNs> to) {
  if (runs.size() < 2) return;
  const auto inside = [&](TimeNs t) { return (!from || t >= *from) && (!to || t <= *to); };
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const std::string n = "run " + std::to_string(r.run);
    if (i > 0 && inside(r.start_ts))
      b.mark(n + " started", r.start_ts,
             {{"start", local_time_ns(r.start_realtime_ns)},
              {"boot_id", r.boot_id},
              {"new_boot", r.new_boot},
              {"previous_ended_by", run_end(runs[i - 1], false)}});
    if (i + 1 < runs.size() && inside(r.end_ts))
      b.mark(n + " ended: " + run_end(r, false), r.end_ts, {{"end", local_time_ns(r.end_realtime_ns)}});
  }
}

int run_export(const ExportOptions& o) {
  std::unique_ptr<RecordingReader> reader;
  try {
    reader = std::make_unique<RecordingReader>(o.path, warn);
  } catch (const RecordingReadError& e) {
    return fail(e.what());
  }
  const rec::Header& h = reader->header();
  std::optional<TimeNs> from, to;
  try {
    if (!o.from.empty()) from = parse_time_spec(h, o.from);
    if (!o.to.empty()) to = parse_time_spec(h, o.to);
  } catch (const std::invalid_argument& e) {
    return fail(e.what(), kExitUsage);
  }
  const TimeNs window_start = from.value_or(h.recording_start_ns);
  const TimeNs origin = o.timestamps == "monotonic" ? 0 : window_start;
  // streamed: the trace is written as the recording is decoded
  std::ofstream file;
  std::vector<char> buf(1 << 20);
  if (o.out != "-") {
    // created 0600 as before (the trace holds process names); ofstream then keeps the mode
    const int fd = ::open(o.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot create " + o.out + ": " + std::strerror(errno));
    ::close(fd);
    file.rdbuf()->pubsetbuf(buf.data(), static_cast<std::streamsize>(buf.size()));
    file.open(o.out, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!file) return fail("cannot create " + o.out + ": " + std::strerror(errno));
  }
  std::ostream& out = o.out == "-" ? std::cout : file;
  const auto write_failed = [&]() {
    const int err = errno;
    if (o.out == "-") return fail("cannot write the trace to stdout: " + std::string(std::strerror(err)));
    file.close();
    ::unlink(o.out.c_str());
    return fail("cannot write " + o.out + ": " + std::strerror(err) + " (removed the partial file)");
  };
  ChromeTraceBuilder b(origin, out);
  TimeNs last = window_start;
  uint64_t n = 0;
  // verdicts raised before --from and still in force are drawn at the window's start
  VerdictsInForce in_force;
  const auto carry_in_force = [&]() {
    for (auto& c : in_force.take()) {
      b.on_event(Event{*from, std::move(c)});
      ++n;
    }
  };
  try {
    reader->read([&](const RecordItem& it) {
      if (from && it.event.ts < *from) {
        if (const auto* c = std::get_if<VerdictChange>(&it.event.data)) in_force.on(*c);
        // the kswapd threads' pids, known before the window: draws nothing
        if (std::holds_alternative<KswapdCpuSample>(it.event.data)) b.on_event(it.event);
        return;
      }
      if (from) carry_in_force();
      if (to && it.event.ts > *to) return;
      last = std::max(last, it.event.ts);
      if (it.kind != RecordItem::Kind::Event) return;
      b.on_event(it.event);
      ++n;
      if (!out) throw std::ios_base::failure("write");
    });
    if (from) carry_in_force();
  } catch (const RecordingReadError& e) {
    if (o.out != "-") {
      file.close();
      ::unlink(o.out.c_str());
    }
    return fail(e.what());
  } catch (const std::ios_base::failure&) {
    return write_failed();
  }
  mark_runs(b, reader->runs(), from, to);
  nlohmann::json other = {
      {"recording_id", h.recording_id},
      {"origin_wall_time", wall_time(h, window_start)},
      {"origin_realtime_ns", static_cast<int64_t>(origin) + h.realtime_offset_ns},
      {"clock", origin ? "microseconds after origin (CLOCK_MONOTONIC of the recorded host)"
                       : "CLOCK_MONOTONIC of the recorded host, microseconds"},
      {"runs", runs_json(reader->runs())}};
  // the envelope every kswaptrace JSON carries (schema, time, start/end of
  // the exported window, hostname, boot_id, kernel_release) in Perfetto's
  // "otherData", which it shows as the trace's metadata
  add_envelope(other, "export", recording_host(h), window_start, std::max(last, window_start));
  b.finish(last, other);
  if (o.out == "-") {
    if (!out.flush()) return write_failed();
  } else {
    file.close();
    if (file.fail()) return write_failed();
    std::cerr << "kswaptrace: wrote " << n << " events as a Chrome trace to " << o.out
              << " (open in ui.perfetto.dev or chrome://tracing)\n";
  }
  return kExitOk;
}

}  // namespace

void register_export(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* sub =
      app.add_subcommand("export", "convert a recording to a timeline for Perfetto / chrome://tracing");
  sub->add_option("path", o->path, "recording directory or segment file")->required();
  sub->add_option("--format", o->format, "output format")->check(CLI::IsMember({"chrome-trace"}));
  sub->add_option("-o,--output", o->out, "output file ('-' for stdout)")->required();
  sub->add_option("--from", o->from, "window start (as for report)");
  sub->add_option("--to", o->to, "window end (as for report)");
  sub->add_option("--timestamps", o->timestamps,
                  "relative: microseconds after the window's start; monotonic: the recorded host's "
                  "CLOCK_MONOTONIC, to line up with a system trace taken on that host (docs/recording.md)")
      ->check(CLI::IsMember({"relative", "monotonic"}))
      ->capture_default_str();
  set_examples(*sub,
               {"kswaptrace export rec --format chrome-trace -o trace.json   # open in ui.perfetto.dev"});
  reg.push_back({sub, [o]() { return run_export(*o); }});
}

}  // namespace kst::cli
