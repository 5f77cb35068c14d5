// What a trace was limited to (-p, -c, -- CMD); empty: everything. The
// filtering happened in the kernel (bpf/kswaptrace.bpf.c filtered_out());
// this only says what it was. A recording keeps it per run (header "scope").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kst {

struct TraceScope {
  std::vector<uint32_t> pids;        // -p: these processes and the children they forked
  std::string cgroup;                // -c: memory cgroup path (and its descendants)
  std::vector<std::string> command;  // -- CMD ARGS...
  uint32_t command_pid = 0;
  bool command_exited = false;       // the window ended with it
  int exit_status = -1, signal = 0;  // signal != 0: killed by it
  bool whole_system = false;         // -- CMD with -a: not limited to CMD's processes
  bool limited() const { return !pids.empty() || !cgroup.empty() || (!command.empty() && !whole_system); }
  // the same limits (-p, -c): what a recording's runs are compared by
  bool same_limits(const TraceScope& o) const { return pids == o.pids && cgroup == o.cgroup; }
};

}  // namespace kst
