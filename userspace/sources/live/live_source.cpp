#include "sources/live/live_source.h"

#include <time.h>

#include "sources/hotadd/hotadd_monitor.h"

namespace kst {

TimeNs monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<TimeNs>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

Backend parse_backend(const std::string& s) {
  if (s == "bpf") return Backend::Bpf;
  if (s == "tracefs") return Backend::Tracefs;
  return Backend::Auto;
}

LiveSource::LiveSource(const TracerOptions& opts, FeatureProbe& probe, ProcReader proc,
                       const BackendOptions& backend)
    : proc_(std::move(proc)), cgroups_(find_memcg_hierarchy()) {
  info_.backend = "bpf";
  info_.kernel_release = proc_.kernel_release();
  if (backend.backend != Backend::Tracefs) {
    try {
      tracer_ = std::make_unique<BpfTracer>(opts, probe, info_);
    } catch (const TraceError& e) {
      if (backend.backend == Backend::Bpf) throw;
      fallback_reason_ = e.what();
      info_ = SourceInfo{};
      info_.kernel_release = proc_.kernel_release();
    }
  }
  if (!tracer_) {
    std::vector<ZoneInfo> zones;
    try {
      zones = proc_.zones().zones;
    } catch (const std::exception&) {
      // zoneinfo unreadable: allocations count in the unknown zone until it is
    }
    tracefs_ = std::make_unique<TracefsTracer>(backend.tracefs, probe, info_, zones);
    if (!fallback_reason_.empty())
      info_.degraded.push_back("tracefs backend: BPF did not load: " + fallback_reason_);
    std::vector<int32_t> pids;
    for (const auto& t : proc_.kswapd_cpu().threads) pids.push_back(t.pid);
    tracefs_->set_kswapd_pids(pids);
  }
  if (opts.hotadd) {
    HotAddMonitorOptions ho;
    ho.verbose = opts.verbose;
    ho.mode = opts.mode;
    ho.funcs = opts.hotadd_funcs;
    hotadd_ = std::make_unique<HotAddMonitor>(probe, info_, ho);
  }
}

LiveSource::~LiveSource() = default;

EventSink LiveSource::with_cgroup_paths(const EventSink& sink) {
  return [this, &sink](Event&& e) {
    if (auto* d = std::get_if<DirectReclaim>(&e.data)) d->cgroup = cgroups_.path_of(d->cgroup_id);
    sink(std::move(e));
  };
}

void LiveSource::poll(int timeout_ms, const EventSink& sink) {
  if (tracer_)
    tracer_->poll(timeout_ms, with_cgroup_paths(sink));
  else
    tracefs_->poll(timeout_ms, with_cgroup_paths(sink));
  if (hotadd_) hotadd_->poll(sink);
}

void LiveSource::drain(const EventSink& sink) {
  if (tracer_)
    tracer_->drain(with_cgroup_paths(sink));
  else
    tracefs_->drain(with_cgroup_paths(sink));
  if (hotadd_) hotadd_->poll(sink);
}

std::vector<Event> LiveSource::sample() {
  std::vector<Event> out;
  auto sink = [&](Event&& e) { out.push_back(std::move(e)); };
  // The tracefs counters live in user space: read what the kernel buffered up
  // to now, or the sample would miss counts the BPF maps already hold (and
  // the first sample would leave pre-window records to inflate the window).
  // Those records go after the samples: callers stamp the set with its first
  // element's time.
  std::vector<Event> drained;
  if (tracefs_) tracefs_->drain([&](Event&& e) { drained.push_back(std::move(e)); });
  const TimeNs now = monotonic_now();
  // zones first, so page-alloc attribution follows a zone that just grew
  try {
    ZoneSample zs = proc_.zones();
    std::string layout;
    for (const auto& z : zs.zones)
      layout += std::to_string(z.nid) + ":" + std::to_string(z.zid) + ":" + std::to_string(z.start_pfn) +
                ":" + std::to_string(z.spanned) + ";";
    if (layout != zone_layout_) {
      if (tracer_)
        tracer_->set_zone_ranges(zs.zones);
      else
        tracefs_->set_zone_ranges(zs.zones);
      zone_layout_ = layout;
    }
    sink(Event{now, std::move(zs)});
  } catch (const std::exception&) {
    // zoneinfo unreadable or unparsable: the summary shows no zone table
  }
  if (tracer_) {
    sink(Event{now, tracer_->alloc_counters()});
    sink(Event{now, tracer_->reclaim_counters()});
    sink(Event{now, tracer_->probe_counters()});
  } else {
    sink(Event{now, tracefs_->alloc_counters()});
    sink(Event{now, tracefs_->reclaim_counters()});
    sink(Event{now, tracefs_->probe_counters()});
  }
  try {
    sink(Event{now, proc_.vmstat()});
  } catch (const std::exception&) {
  }
  sink(Event{now, proc_.kswapd_cpu()});
  for (auto& e : drained) out.push_back(std::move(e));
  return out;
}

}  // namespace kst
