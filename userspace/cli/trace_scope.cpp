#include "cli/trace_scope.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "core/untrusted_text.h"
#include "sources/cgroup/cgroup_fs.h"

namespace kst::cli {

std::vector<std::string> g_command;

void add_filter_options(CLI::App& app, ScopeOptions& o, bool pids) {
  if (pids)
    app.add_option("-p,--pid", o.pids,
                   "trace only these processes (comma-separated) and the children they fork; "
                   "filtered in the kernel")
        ->delimiter(',')
        ->check(CLI::Range(1, 1 << 30));
  app.add_option("-c,--cgroup", o.cgroup,
                 "trace only tasks in this memory cgroup or below it: a path in the memory hierarchy "
                 "(/a/b) or its directory (/sys/fs/cgroup/...); filtered in the kernel");
}

void add_scope_options(CLI::App& app, ScopeOptions& o) {
  add_filter_options(app, o);
  app.add_flag("-a,--all", o.all,
               "with -- CMD: trace the whole system while CMD runs, not only CMD's processes");
}

int prepare_scope(const ScopeOptions& o, LiveOptions& live, TraceScope& scope) {
  if (o.all && g_command.empty()) return fail("-a only applies to -- CMD", kExitUsage);
  if (o.all && !o.pids.empty()) return fail("-a (whole system) and -p contradict each other", kExitUsage);
  for (int pid : o.pids) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return fail("-p " + std::to_string(pid) + ": no such process");
    live.filter.tgids.push_back(static_cast<uint32_t>(pid));
    scope.pids.push_back(static_cast<uint32_t>(pid));
  }
  if (!o.cgroup.empty()) {
    const auto h = find_memcg_hierarchy();
    if (!h) return fail("-c: this system has no memory cgroup hierarchy (v1 memory or v2 with memory)");
    try {
      const CgroupTarget t = resolve_cgroup_arg(*h, o.cgroup);
      live.filter.by_cgroup = true;
      live.filter.cgroup_id = t.id;
      live.filter.cgroup_level = t.level;
      scope.cgroup = t.path;
    } catch (const CgroupError& e) {
      return fail(terminal_safe(to_valid_utf8(e.what())));
    }
  }
  scope.command = g_command;
  scope.whole_system = o.all;
  live.by_tgid = !g_command.empty() && !o.all;
  return 0;
}

std::string scope_note(const TraceScope& sc) {
  std::string n;
  for (uint32_t pid : sc.pids) n += (n.empty() ? "processes " : ", ") + std::to_string(pid);
  if (!n.empty()) n += " and their children";
  if (!sc.cgroup.empty()) n += (n.empty() ? "" : "; ") + ("memory cgroup " + sc.cgroup + " and below");
  return "traced only: " + terminal_safe(to_valid_utf8(n)) + " (kswapd itself system-wide)";
}

std::string pids_exited_message(const TraceScope& sc, double traced_s, const std::string& what) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", traced_s);
  return std::string("the -p process") + (sc.pids.size() > 1 ? "es" : "") + " exited after " + buf +
         " s: " + what;
}

// ---- -p: the named processes exiting ----

PidWatch::PidWatch(const std::vector<uint32_t>& pids) {
  for (uint32_t pid : pids) {
#ifdef SYS_pidfd_open
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
    const int fd = -1;
#endif
    pids_.emplace_back(pid, fd);
  }
}

PidWatch::~PidWatch() {
  for (auto& [pid, fd] : pids_)
    if (fd >= 0) close(fd);
}

bool PidWatch::all_exited() {
  if (pids_.empty()) return false;
  for (auto& [pid, fd] : pids_) {
    if (fd >= 0) {
      // a pidfd polls readable once the process has exited (a zombie counts)
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 0) == 0) return false;
    } else if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) {
      return false;
    }
  }
  return true;
}

// ---- -- CMD ----

ChildCommand::ChildCommand(const std::vector<std::string>& argv) {
  int go[2], err[2];
  if (pipe2(go, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(go[0]);
    close(go[1]);
    throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    // the child: only async-signal-safe calls until exec
    close(go[1]);
    close(err[0]);
    char c;
    // EOF without a byte: the parent gave up (it closes without writing)
    if (read(go[0], &c, 1) != 1) _exit(127);
    execvp(args[0], args.data());
    const int e = errno;
    (void)!write(err[1], &e, sizeof e);
    _exit(e == ENOENT ? 127 : 126);
  }
  close(go[0]);
  close(err[1]);
  if (pid_ < 0) {
    close(go[1]);
    close(err[0]);
    throw std::runtime_error(std::string("fork: ") + strerror(errno));
  }
  go_fd_ = go[1];
  err_fd_ = err[0];
}

ChildCommand::~ChildCommand() {
  if (go_fd_ >= 0) close(go_fd_);  // an unreleased child reads EOF and exits 127
  if (err_fd_ >= 0) close(err_fd_);
  if (pid_ > 0 && !reaped_) {
    // tracing ended first (a signal to kswaptrace alone, or COUNT intervals): CMD ends too,
    // as under `perf record -- CMD`
    int st;
    kill(pid_, SIGTERM);
    waitpid(pid_, &st, 0);
  }
}

std::string ChildCommand::release(int* exit_code) {
  const char c = 1;
  const bool sent = write(go_fd_, &c, 1) == 1;
  close(go_fd_);
  go_fd_ = -1;
  int e = 0;
  ssize_t n;
  do n = read(err_fd_, &e, sizeof e);
  while (n < 0 && errno == EINTR);
  if (sent && n == 0) return "";  // exec succeeded: the pipe closed on exec
  int st;
  waitpid(pid_, &st, 0);
  reaped_ = true;
  *exit_code = e == ENOENT ? 127 : 126;
  return std::string(strerror(sent ? e : EPIPE));
}

bool ChildCommand::reap(TraceScope& scope) {
  if (reaped_) return true;
  int st;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r != pid_) return false;
  reaped_ = true;
  scope.command_exited = true;
  if (WIFSIGNALED(st))
    scope.signal = WTERMSIG(st);
  else
    scope.exit_status = WEXITSTATUS(st);
  return true;
}

int command_exit_code(const TraceScope& sc) { return sc.signal ? 128 + sc.signal : sc.exit_status; }

}  // namespace kst::cli
