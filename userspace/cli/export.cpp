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
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "sinks/trace/chrome_trace.h"
#include "sources/recording/recording_replay.h"

namespace kst::cli {
namespace {

struct ExportOptions {
  std::string path, format = "chrome-trace", out;
  std::string from, to;
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
  const TimeNs origin = from.value_or(h.recording_start_ns);
  ChromeTraceBuilder b(origin);
  TimeNs last = origin;
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
        return;
      }
      if (from) carry_in_force();
      if (to && it.event.ts > *to) return;
      last = std::max(last, it.event.ts);
      if (it.kind != RecordItem::Kind::Event) return;
      b.on_event(it.event);
      ++n;
    });
    if (from) carry_in_force();
  } catch (const RecordingReadError& e) {
    return fail(e.what());
  }
  mark_runs(b, reader->runs(), from, to);
  nlohmann::json other = {{"recording_id", h.recording_id},
                          {"hostname", h.hostname},
                          {"kernel_release", h.kernel_release},
                          {"origin_wall_time", wall_time(h, origin)},
                          {"origin_realtime_ns", static_cast<int64_t>(origin) + h.realtime_offset_ns},
                          {"clock", "microseconds after origin (CLOCK_MONOTONIC of the recorded host)"},
                          {"runs", runs_json(reader->runs())}};
  const std::string text = json_text(b.finish(last, other));
  if (o.out == "-") {
    std::cout << text << "\n";
  } else {
    const int fd = ::open(o.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot create " + o.out + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < text.size()) {
      const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        const int err = errno;
        ::close(fd);
        return fail("cannot write " + o.out + ": " + std::strerror(err));
      }
      off += static_cast<size_t>(w);
    }
    ::close(fd);
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
  set_examples(*sub,
               {"kswaptrace export rec --format chrome-trace -o trace.json   # open in ui.perfetto.dev"});
  reg.push_back({sub, [o]() { return run_export(*o); }});
}

}  // namespace kst::cli
