// Each command lives in its own file and registers a CLI11 subcommand (or,
// for the one-shot, options on the top-level app). The run function returns
// the process exit code. Commands only wire a source to the core and a sink.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <vector>

namespace kst::cli {

struct Registered {
  CLI::App* app;  // the subcommand (or the top-level app for the one-shot)
  std::function<int()> run;
};
using Registry = std::vector<Registered>;

// Exit codes shared by all commands.
constexpr int kExitOk = 0;
constexpr int kExitError = 1;    // bad input, missing privilege or kernel feature
constexpr int kExitUsage = 2;    // command-line parse errors (CLI11)
constexpr int kExitVerdict = 3;  // `watch --exit-on=KIND`: a verdict of that kind was raised
constexpr int kExitDamaged = 4;  // `report --strict`: the recording is damaged (blocks skipped)

// Set by SIGINT/SIGTERM/SIGHUP (a closed terminal or SSH session); long-running commands stop, flush and
// report.
extern std::atomic<bool> g_stop;
void install_stop_signals();

// Adds a NaN/infinity check to every decimal option registered so far (all
// commands); call once after registering them.
void require_finite_decimals(CLI::App& app);

// One-line error on stderr: "kswaptrace: <msg>".
int fail(const std::string& msg, int code = kExitError);

// Ends a command's --help with "Examples:" and one command line per entry.
void set_examples(CLI::App& app, const std::vector<std::string>& lines);

void register_oneshot(CLI::App& app, Registry& reg);
void register_features(CLI::App& app, Registry& reg);
void register_fix_watermarks(CLI::App& app, Registry& reg);
void register_explain(CLI::App& app, Registry& reg);
void register_gfp(CLI::App& app, Registry& reg);
void register_watch(CLI::App& app, Registry& reg);
void register_record(CLI::App& app, Registry& reg);
void register_report(CLI::App& app, Registry& reg);
void register_export(CLI::App& app, Registry& reg);
void register_agent(CLI::App& app, Registry& reg);
void register_min_btf(CLI::App& app, Registry& reg);

}  // namespace kst::cli
