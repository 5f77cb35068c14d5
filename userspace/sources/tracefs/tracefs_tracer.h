// The tracefs source: no BPF at all. A private ftrace instance
// (instances/kswaptrace-<pid>) enables the vmscan and kmem tracepoints; the
// per-CPU trace_pipe_raw pages are decoded with the events' format files
// through libtraceevent (field offsets, never the print format) into the same
// Events the BPF source delivers, and the per-CPU aggregates the BPF programs
// keep in maps (lru_shrink_inactive, mm_page_alloc) are kept here in user space
// from the streamed records, or in the kernel by a hist trigger where it has one.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/event.h"
#include "sources/bpf/bpf_tracer.h"  // TraceError, EventSink
#include "sources/bpf/feature_probe.h"

namespace kst {

// How kmem:mm_page_alloc is counted: "auto" = hist trigger where the kernel
// has CONFIG_HIST_TRIGGERS, else streamed; "hist"; "stream"; "off".
enum class TracefsAlloc { Auto, Hist, Stream, Off };
TracefsAlloc parse_tracefs_alloc(const std::string& s);

struct TracefsOptions {
  uint32_t buffer_kb = 16384;  // per-CPU ring buffer of the instance
  TracefsAlloc alloc = TracefsAlloc::Auto;
};

// What `features` and `--backend auto` need to know without creating anything.
struct TracefsPlan {
  bool ok = false;
  std::string detail;  // why not, or the tracing directory
  bool hist = false;   // events/kmem/mm_page_alloc/hist exists (CONFIG_HIST_TRIGGERS)
};
TracefsPlan plan_tracefs(FeatureProbe& probe);

// Removes the instances of kswaptrace processes that no longer run (a run
// killed by SIGKILL cannot clean up). Returns their names.
std::vector<std::string> remove_stale_instances(const std::string& tracing_dir);

class TracefsTracer {
 public:
  // Throws TraceError. Fills `info` (backend "tracefs", attach = "tracefs").
  TracefsTracer(const TracefsOptions& opts, FeatureProbe& probe, SourceInfo& info,
                const std::vector<ZoneInfo>& zones);
  ~TracefsTracer();
  TracefsTracer(const TracefsTracer&) = delete;
  TracefsTracer& operator=(const TracefsTracer&) = delete;

  int poll(int timeout_ms, const EventSink& sink);
  int drain(const EventSink& sink);

  AllocCounters alloc_counters() const;
  ReclaimCounters reclaim_counters() const;
  ProbeCounters probe_counters() const;
  void set_zone_ranges(const std::vector<ZoneInfo>& zones);
  // The kswapd thread ids (lru_shrink_inactive by them counts as kswapd's).
  void set_kswapd_pids(const std::vector<int32_t>& pids);

  const std::string& instance_dir() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kst
