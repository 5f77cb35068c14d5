// The live BPF source: loads bpf/kswaptrace.bpf.c through its skeleton,
// attaches one program per event (tp_btf or classic tracepoint, chosen by
// probing), and turns ring-buffer records and map aggregates into Events.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/event.h"
#include "sources/bpf/feature_probe.h"

namespace kst {

// A fatal tracing error; what() is one line that names the fix.
struct TraceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class AttachMode { Auto, TpBtf, Tracepoint };

// The --attach option's value ("auto", "tp_btf", "tracepoint"; CLI11 checks the set).
inline AttachMode parse_attach_mode(const std::string& s) {
  if (s == "tp_btf") return AttachMode::TpBtf;
  if (s == "tracepoint") return AttachMode::Tracepoint;
  return AttachMode::Auto;
}

// Which function probes the optional hot-add sources may use (--hotadd-probes:
// "auto" = fentry, else kprobe; "fentry"; "kprobe"; "none").
enum class FuncProbeMode { Auto, Fentry, Kprobe, None };

inline FuncProbeMode parse_func_probe_mode(const std::string& s) {
  if (s == "fentry") return FuncProbeMode::Fentry;
  if (s == "kprobe") return FuncProbeMode::Kprobe;
  if (s == "none") return FuncProbeMode::None;
  return FuncProbeMode::Auto;
}

// What is traced (-p, -c), checked in the kernel before anything is recorded.
// Empty: everything. kswapd's own events stay system-wide either way.
struct TraceFilter {
  std::vector<uint32_t> tgids;  // these processes and the children they fork from now on
  bool by_cgroup = false;       // tasks whose memory cgroup is this one or below it
  uint64_t cgroup_id = 0;
  int cgroup_level = 0;
  bool active() const { return !tgids.empty() || by_cgroup; }
};

struct TracerOptions {
  AttachMode mode = AttachMode::Auto;
  uint32_t ringbuf_bytes = 4u << 20;
  // Wake-up batching: records wake the reader only once the ring buffer holds
  // ringbuf_bytes / kWakeupFraction; until then poll() collects them on its
  // timer, at most kMaxBatchLatencyMs after they were written. Off: a wake-up
  // per record (the benchmark's baseline, hidden option --wakeup-every-event).
  bool batch_wakeups = true;
  static constexpr uint32_t kWakeupFraction = 8;
  static constexpr int kMaxBatchLatencyMs = 100;
  bool verbose = false;  // libbpf debug output
  bool hotadd = true;    // LiveSource: also run the memory hot-add sources (issue 6)
  FuncProbeMode hotadd_funcs = FuncProbeMode::Auto;  // their function probes
  TraceFilter filter;
  // Trace the processes added with BpfTracer::trace_process() only, even
  // before any is added (`-- CMD`: its pid is known only after attaching).
  bool by_tgid = false;
};

using EventSink = std::function<void(Event&&)>;

// How each traced event will be attached on this kernel.
struct AttachPlan {
  std::string sys, name;
  bool required = false;
  bool in_tracefs = false, in_btf = false;
  std::string mode;    // "tp_btf", "tracepoint", or "" when it cannot be traced
  std::string reason;  // why it is missing, when mode is empty
};
std::vector<AttachPlan> plan_attach(FeatureProbe& probe, AttachMode mode);

class BpfTracer {
 public:
  // Throws TraceError. Fills `info` with the attach choice per event.
  BpfTracer(const TracerOptions& opts, FeatureProbe& probe, SourceInfo& info);
  ~BpfTracer();
  BpfTracer(const BpfTracer&) = delete;
  BpfTracer& operator=(const BpfTracer&) = delete;

  // Waits up to timeout_ms for ring-buffer records and delivers them. With
  // batched wake-ups it returns after at most kMaxBatchLatencyMs, having
  // collected whatever the kernel wrote without waking it.
  // Returns the number of records, or throws TraceError.
  int poll(int timeout_ms, const EventSink& sink);
  // Delivers whatever is in the ring buffer without waiting.
  int drain(const EventSink& sink);

  // Cumulative in-kernel aggregates.
  AllocCounters alloc_counters() const;
  ReclaimCounters reclaim_counters() const;
  ProbeCounters probe_counters() const;
  uint64_t decode_errors() const { return decode_errors_; }

  // Loaded programs by name -> fd (for run-time statistics).
  std::vector<std::pair<std::string, int>> program_fds() const;
  // Detaches one attached program and attaches it again, which moves it to the
  // end of its tracepoint's run order (the benchmark rotates positions).
  // Returns false if the program is not attached.
  bool reattach(const std::string& prog_name);

  // Adds a process to the -p set (needs TracerOptions::by_tgid or filter.tgids).
  void trace_process(uint32_t tgid);

  // Tells the page-alloc handler which pfn range is which zone.
  void set_zone_ranges(const std::vector<ZoneInfo>& zones);

 private:
  void plan_fork_follower(FeatureProbe& probe, bool by_tgid, SourceInfo& info);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t decode_errors_ = 0;
};

}  // namespace kst
