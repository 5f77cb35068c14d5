#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/trace_scope.h"
#include "core/untrusted_text.h"
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

void set_examples(CLI::App& app, const std::vector<std::string>& lines) {
  std::string f = "\nExamples:\n";
  for (const auto& l : lines) f += "  " + l + "\n";
  app.footer(f);
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) row[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool is_number(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0';
}

}  // namespace

// The one-shot takes positional INTERVAL [COUNT], so without this a mistyped
// subcommand ("reocrd") would be reported as a bad interval. The first
// positional word of the top-level command line must be a subcommand or a number.
int check_command_word(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--") return 0;
    if (a.size() > 1 && a[0] == '-') {
      if (a.find('=') != std::string::npos || (a.rfind("--", 0) != 0 && a.size() > 2)) continue;
      const CLI::Option* opt = app.get_option_no_throw(a);
      if (opt && opt->get_expected_min() > 0) i++;  // skip the option's value (flags expect 0)
      continue;
    }
    if (is_number(a)) return 0;
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->check_name(a)) return 0;
    std::string best;
    size_t best_d = 3;  // at most two edits away, or no suggestion
    for (const CLI::App* sub : app.get_subcommands({})) {
      const size_t d = edit_distance(a, sub->get_name());
      if (d < best_d) best_d = d, best = sub->get_name();
    }
    const std::string safe = terminal_safe(a);
    return fail(
        "unknown command '" + safe + "'" +
            (best.empty() ? std::string(" (see kswaptrace --help)") : " (did you mean '" + best + "'?)"),
        kExitUsage);
  }
  return 0;
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
  register_min_btf(app, reg);
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
  if (const int rc = check_command_word(app, argc, argv)) return rc;
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
