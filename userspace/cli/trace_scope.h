// What a trace is limited to: -p PID, -c CGROUP (both filtered in the
// kernel, bpf/kswaptrace.bpf.c filtered_out()), and `-- CMD ARGS...`, which
// runs CMD and ends the trace with it.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/live_options.h"
#include "core/summary.h"

namespace kst::cli {

// The arguments after the first "--" on the command line (main.cpp splits them off).
extern std::vector<std::string> g_command;

struct ScopeOptions {
  std::vector<int> pids;
  std::string cgroup;
  bool all = false;  // -- CMD: trace the whole system while CMD runs
};

// -p, -c, -a (the one-shot, which also takes -- CMD)
void add_scope_options(CLI::App& app, ScopeOptions& o);
// -p (unless !PIDS: the agent, a service, outlives any process) and -c:
// watch, record, agent
void add_filter_options(CLI::App& app, ScopeOptions& o, bool pids = true);

// Checks -p and -c and fills LIVE's filter and SCOPE. On bad input prints
// one line and returns the exit code; 0 when all is well.
int prepare_scope(const ScopeOptions& o, LiveOptions& live, TraceScope& scope);

// "traced only: processes 12, 34 and their children; memory cgroup /a and
// below (kswapd itself system-wide)": the note a limited watch/record starts with
std::string scope_note(const TraceScope& scope);
// "the -p process exited after 3.2 s: tracing ended early" (WHAT: "tracing ended early")
std::string pids_exited_message(const TraceScope& scope, double traced_s, const std::string& what);

// -p: notices when the named processes are gone (pidfd, else kill(pid, 0)).
class PidWatch {
 public:
  explicit PidWatch(const std::vector<uint32_t>& pids);
  ~PidWatch();
  bool all_exited();  // non-blocking

 private:
  std::vector<std::pair<uint32_t, int>> pids_;  // pid, pidfd or -1
};

// -- CMD: forked before the trace is attached, held until it is, then exec'd.
class ChildCommand {
 public:
  // Forks ARGV[0] (searched in PATH); the child waits for release().
  explicit ChildCommand(const std::vector<std::string>& argv);
  ~ChildCommand();  // a child never released is killed and reaped
  pid_t pid() const { return pid_; }
  // Lets the child exec. Returns "" or the one-line reason exec failed
  // (the child is then reaped: 126 not executable, 127 not found).
  std::string release(int* exit_code);
  // Non-blocking: true once the child has exited; fills SCOPE's status.
  bool reap(TraceScope& scope);

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;   // write end: closing it releases the child
  int err_fd_ = -1;  // read end: the child's errno if exec fails, EOF if it succeeds
  bool reaped_ = false;
};

// The exit code kswaptrace ends with after CMD: its status, 128+N for signal N.
int command_exit_code(const TraceScope& scope);

}  // namespace kst::cli
