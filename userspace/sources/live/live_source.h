// The live source: BPF ring-buffer events plus periodic samples of the
// in-kernel aggregates and of /proc, all delivered as Events.
#pragma once

#include <memory>
#include <optional>

#include "core/event.h"
#include "sources/bpf/bpf_tracer.h"
#include "sources/procfs/procfs.h"

namespace kst {

TimeNs monotonic_now();

class HotAddMonitor;

class LiveSource {
 public:
  // Throws TraceError with a one-line message.
  LiveSource(const TracerOptions& opts, FeatureProbe& probe, ProcReader proc = ProcReader());
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
  BpfTracer& tracer() { return *tracer_; }

 private:
  SourceInfo info_;
  ProcReader proc_;
  std::unique_ptr<BpfTracer> tracer_;
  std::unique_ptr<HotAddMonitor> hotadd_;  // null with TracerOptions::hotadd off
  std::string zone_layout_;                // start_pfn/spanned of every zone, to notice growth
};

}  // namespace kst
