// `kswaptrace report`: a recording replayed through the one-shot's analysis
// and renderers. stdout carries exactly what the one-shot would print; facts
// about the recording itself and damage warnings go to stderr.
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/html_output.h"
#include "core/untrusted_text.h"
#include "sinks/json/envelope.h"
#include "sinks/json/json_report.h"
#include "sinks/text/text_report.h"
#include "sources/procfs/host_identity_reader.h"
#include "sources/recording/recording_replay.h"

namespace kst::cli {
namespace {

struct ReportOptions {
  std::string path;
  std::string from, to;
  unsigned decode_threads = 1;  // hidden: 0 = a decoding thread per CPU (measured slower here)
  bool json = false;
  bool html = false;
  std::string out;  // --html: the page's file
  bool strict = false;
};

// What the reader skipped. A script that keeps only stdout must see it too:
// one flipped bit can drop thousands of events from the numbers.
struct Damage {
  std::vector<std::string> warnings;
  bool any(const ReadStats& st) const { return st.bad_blocks || st.torn_blocks || st.skipped_bytes; }
};

nlohmann::json damage_json(const ReadStats& st, const Damage& d) {
  std::vector<std::string> w;
  for (size_t i = 0; i < d.warnings.size() && i < 20; i++) w.push_back(terminal_safe(d.warnings[i], false));
  return {{"damaged", d.any(st)},
          {"bad_blocks", st.bad_blocks},
          {"torn_blocks", st.torn_blocks},
          {"skipped_bytes", st.skipped_bytes},
          {"unknown_records", st.unknown_records},
          {"warnings", w}};
}

std::string damage_line(const ReadStats& st) {
  return "damage: " + std::to_string(st.bad_blocks) + " block(s) failed their checksum or did not decode, " +
         std::to_string(st.torn_blocks) + " torn, " + std::to_string(st.skipped_bytes) +
         " bytes skipped: the numbers below miss what those blocks held\n";
}

// A window that holds no recorded time is a mistake, not an empty report.
std::string empty_window(const ReplayWindow& w, const ReplayResult& r, const rec::Header& h) {
  if (w.from && w.to && *w.to <= *w.from) return "--to must be after --from";
  if ((w.from && *w.from >= r.last_ts) || (w.to && *w.to <= r.first_ts))
    return "the window holds no recorded time: the recording spans " + wall_time(h, r.first_ts) + " .. " +
           wall_time(h, r.last_ts);
  return {};
}

// The object `report --json` prints; --html embeds and shows the same one.
nlohmann::json report_json(const ReplayResult& r, const RecordingReader& reader, const Damage& damage,
                           const rec::Header& h) {
  const ReadStats& st = reader.stats();
  nlohmann::json j = summary_json(r.summary, "report", recording_host(h));
  j["runs"] = runs_json(reader.runs());
  j["damage"] = damage_json(st, damage);
  if (damage.any(st)) j["degraded"].push_back("recording damaged: " + damage_line(st).substr(8));
  return j;
}

// The runs' -p/-c when they all had the same (each run's own is in the runs list).
std::optional<TraceScope> common_scope(const std::vector<rec::RecordingRun>& runs) {
  for (const auto& r : runs)
    if (!r.scope.same_limits(runs.front().scope)) return std::nullopt;
  return runs.front().scope;
}

PageContext page_context(const rec::Header& h, const Summary& s) {
  return {h.hostname,          h.recording_id,     wall_time(h, s.start),
          wall_time(h, s.end), KSWAPTRACE_VERSION, s.start};
}

int run_report(const ReportOptions& o) {
  if (o.html && o.out.empty()) return fail("--html needs -o FILE (or -o - for stdout)", kExitUsage);
  if (!o.html && !o.out.empty())
    return fail("-o is the file of --html; without --html the report goes to stdout", kExitUsage);
  if (o.html && o.json) return fail("use either --json or --html", kExitUsage);
  std::unique_ptr<RecordingReader> reader;
  Damage damage;
  const auto warn = [&](const std::string& m) {
    damage.warnings.push_back(m);
    std::cerr << "kswaptrace: warning: " << terminal_safe(m) << "\n";
  };
  try {
    reader = std::make_unique<RecordingReader>(o.path, warn);
    reader->set_decode_threads(o.decode_threads);
  } catch (const RecordingReadError& e) {
    return fail(e.what());
  }
  const rec::Header& h = reader->header();
  ReplayWindow w;
  try {
    if (!o.from.empty()) w.from = parse_time_spec(h, o.from);
    if (!o.to.empty()) w.to = parse_time_spec(h, o.to);
  } catch (const std::invalid_argument& e) {
    return fail(e.what(), kExitUsage);
  }
  if (w.from && w.to && *w.to <= *w.from) return fail("--to must be after --from", kExitUsage);
  ReplayResult r;
  HtmlSeriesBuilder series;
  try {
    r = o.html ? replay_summary(*reader, w, [&](const Event& e) { series.on_event(e); })
               : replay_summary(*reader, w);
  } catch (const RecordingReadError& e) {
    return fail(e.what());
  }
  if (const std::string why = empty_window(w, r, h); !why.empty()) return fail(why);
  if (const auto sc = common_scope(reader->runs())) r.summary.scope = *sc;
  const ReadStats& st = reader->stats();
  std::cerr << "recording " << terminal_safe(h.recording_id) << " of " << terminal_safe(h.hostname) << " ("
            << terminal_safe(h.kernel_release) << "): " << wall_time(h, r.first_ts) << " .. "
            << wall_time(h, r.last_ts) << ", " << st.segments << " segment(s), " << st.blocks << " blocks, "
            << st.events << " events";
  if (r.ended)
    std::cerr << "; ended: " << rec::end_reason_name(r.end_reason) << "\n";
  else
    std::cerr << "; no end record (still being written, or the writer was killed)\n";
  if (h.segment > 1) std::cerr << "note: older segments were evicted; the report starts at the oldest kept\n";
  if (w.from || w.to)
    std::cerr << "window: " << wall_time(h, r.summary.start) << " .. " << wall_time(h, r.summary.end) << "\n";
  if (st.unknown_records)
    std::cerr << "note: skipped " << st.unknown_records << " records of a newer format version\n";
  // a restarted recorder: where each run began and why the one before ended
  const auto& runs = reader->runs();
  if (runs.size() > 1 || runs.front().run > 1) std::cerr << terminal_safe(render_runs(runs));
  const bool damaged = damage.any(st);
  if (o.html) {
    const int rc = write_html(o.out, report_json(r, *reader, damage, h),
                              series.finish(r.summary.start, r.summary.end), page_context(h, r.summary));
    if (rc != kExitOk) return rc;
  } else if (o.json) {
    std::cout << json_text(report_json(r, *reader, damage, h), 2) << "\n";
  } else {
    std::cout << (damaged ? damage_line(st) : "") << terminal_safe(render_text(r.summary));
  }
  std::cout.flush();
  if (damaged && o.strict) {
    std::cerr << "kswaptrace: the recording is damaged (--strict): exit " << kExitDamaged << "\n";
    return kExitDamaged;
  }
  return kExitOk;
}

}  // namespace

void register_report(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* sub =
      app.add_subcommand("report", "summarize a recording (or a time window of it) like the one-shot");
  sub->add_option("path", o->path, "recording directory or segment file")->required();
  sub->add_option(
      "--from", o->from,
      "window start: seconds after the recording start, 'YYYY-MM-DD HH:MM:SS', 'HH:MM[:SS]' or @EPOCH");
  sub->add_option("--to", o->to, "window end (same forms as --from)");
  sub->add_flag("-j,--json", o->json, "print the summary as JSON");
  sub->add_flag("--html", o->html,
                "write one self-contained HTML page (charts, verdicts; no network, no script) to -o FILE");
  sub->add_option("-o,--output", o->out, "the --html page's file ('-' for stdout)");
  sub->add_flag("--strict", o->strict,
                "exit 4 when the recording is damaged (blocks skipped); the report is printed either way");
  sub->add_option("--decode-threads", o->decode_threads,
                  "threads decoding blocks (0: one per CPU; 1: serial, the default)")
      ->check(CLI::Range(0u, 256u))
      ->group("");  // hidden
  set_examples(
      *sub, {"kswaptrace report rec", "kswaptrace report rec --from '2026-12-05 03:10' --to 03:20 --json"});
  reg.push_back({sub, [o]() { return run_report(*o); }});
}

}  // namespace kst::cli
