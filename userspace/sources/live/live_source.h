// The live source: BPF ring-buffer events plus periodic samples of the
// in-kernel aggregates and of /proc, all delivered as Events.
#pragma once

#include <memory>
#include <optional>

#include "core/event.h"
#include "sources/bpf/bpf_tracer.h"
#include "sources/cgroup/cgroup_fs.h"
#include "sources/procfs/procfs.h"
#include "sources/tracefs/tracefs_tracer.h"

namespace kst {

TimeNs monotonic_now();

class HotAddMonitor;

// Which tracer feeds the live source: BPF programs, or a tracefs instance
// (no BPF: kernels without BTF or without BPF tracepoint programs).
enum class Backend { Auto, Bpf, Tracefs };
Backend parse_backend(const std::string& s);

struct BackendOptions {
  Backend backend = Backend::Auto;
  TracefsOptions tracefs;
};

class LiveSource {
 public:
  // Throws TraceError with a one-line message.
  // With Backend::Auto, BPF when it loads, else tracefs (why: fallback_reason()).
  LiveSource(const TracerOptions& opts, FeatureProbe& probe, ProcReader proc = ProcReader(),
             const BackendOptions& backend = BackendOptions());
  ~LiveSource();

  const SourceInfo& info() const { return info_; }
  // Ring-buffer events, waiting up to timeout_ms.
  // Also delivers the memory hot-add events (uevents, hot-add probes, balloon, zoneinfo changes).
  void poll(int timeout_ms, const EventSink& sink);
  // Ring-buffer events still buffered, without waiting.
  void drain(const EventSink& sink);
  // A full set of samples (aggregates, /proc) stamped now. Drain first so
  // that events precede the samples that count them.
  std::vector<Event> sample();
  // The BPF tracer; null with the tracefs backend.
  BpfTracer* bpf_tracer() { return tracer_.get(); }
  // Why Backend::Auto did not run BPF ("" when it did or was not asked to choose).
  const std::string& fallback_reason() const { return fallback_reason_; }
  // The memory cgroup hierarchy reclaim episodes are attributed in (nullopt: none).
  const std::optional<MemcgHierarchy>& memcg_hierarchy() const { return cgroups_.hierarchy(); }

 private:
  SourceInfo info_;
  ProcReader proc_;
  std::unique_ptr<BpfTracer> tracer_;  // one of these two
  std::unique_ptr<TracefsTracer> tracefs_;
  std::string fallback_reason_;
  std::unique_ptr<HotAddMonitor> hotadd_;  // null with TracerOptions::hotadd off
  // reclaim episodes get their cgroup's path here, when they are traced: the
  // cgroup may be gone by the time a recording is read
  EventSink with_cgroup_paths(const EventSink& sink);
  CgroupResolver cgroups_;
  std::string zone_layout_;  // start_pfn/spanned of every zone, to notice growth
};

}  // namespace kst
