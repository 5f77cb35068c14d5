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
#include "sinks/chrome_trace.h"
#include "sources/recording_replay.h"

namespace kst::cli {
namespace {

struct ExportOptions {
  std::string path, format = "chrome-trace", out;
  std::string from, to;
};

void warn(const std::string& m) { std::cerr << "kswaptrace: warning: " << m << "\n"; }

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
  nlohmann::json other = {{"recording_id", h.recording_id},
                          {"hostname", h.hostname},
                          {"kernel_release", h.kernel_release},
                          {"origin_wall_time", wall_time(h, origin)},
                          {"origin_realtime_ns", static_cast<int64_t>(origin) + h.realtime_offset_ns},
                          {"clock", "microseconds after origin (CLOCK_MONOTONIC of the recorded host)"}};
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
  reg.push_back({sub, [o]() { return run_export(*o); }});
}

}  // namespace kst::cli
