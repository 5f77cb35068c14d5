#include <signal.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/trace_scope.h"
#include "kst_version.h"

namespace kst::cli {

std::atomic<bool> g_stop{false};

namespace {
void on_stop(int) { g_stop.store(true); }
}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns EINTR promptly
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);  // an SSH drop or a service reload: drain and end cleanly too
}

int fail(const std::string& msg, int code) {
  std::cerr << "kswaptrace: " << msg << "\n";
  return code;
}

}  // namespace kst::cli

int main(int argc, char** argv) {
  using namespace kst::cli;
  CLI::App app{
      "kswaptrace: trace kswapd, reclaim and page allocations; explain zone hazards.\n"
      "Without a subcommand: trace for -d SECONDS (or until Ctrl-C) and print a summary."};
  app.set_version_flag("--version", std::string("kswaptrace ") + KST_VERSION);
  Registry reg;
  register_oneshot(app, reg);
  register_features(app, reg);
  register_fix_watermarks(app, reg);
  register_explain(app, reg);
  register_gfp(app, reg);
  register_watch(app, reg);
  register_record(app, reg);
  register_report(app, reg);
  register_export(app, reg);
  register_agent(app, reg);
  require_finite_decimals(app);
  // `kswaptrace [options] -- CMD ARGS...`: what follows the first "--" is the
  // command to run, not arguments for CLI11
  for (int i = 1; i < argc; i++) {
    if (std::string(argv[i]) != "--") continue;
    if (i + 1 == argc)
      return fail("-- needs a command to run (kswaptrace [options] -- CMD ARGS...)", kExitUsage);
    g_command.assign(argv + i + 1, argv + argc);
    argc = i;
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help, version or the parse error
    return rc == 0 ? kExitOk : kExitUsage;
  }
  // the most specific parsed command runs: a subcommand, else the one-shot
  for (auto it = reg.rbegin(); it != reg.rend(); ++it) {
    if (it->app == &app || !it->app->parsed()) continue;
    if (!g_command.empty())
      return fail("-- CMD runs with the tracing summary only (kswaptrace [options] -- CMD)", kExitUsage);
    return it->run();
  }
  for (auto& r : reg)
    if (r.app == &app) return r.run();
  return kExitError;
}
