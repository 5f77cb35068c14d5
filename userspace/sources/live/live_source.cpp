#include "sources/live/live_source.h"

#include <time.h>

#include "sources/hotadd/hotadd_monitor.h"

namespace kst {

TimeNs monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<TimeNs>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

LiveSource::LiveSource(const TracerOptions& opts, FeatureProbe& probe, ProcReader proc)
    : proc_(std::move(proc)), cgroups_(find_memcg_hierarchy()) {
  info_.backend = "bpf";
  info_.kernel_release = proc_.kernel_release();
  tracer_ = std::make_unique<BpfTracer>(opts, probe, info_);
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
  tracer_->poll(timeout_ms, with_cgroup_paths(sink));
  if (hotadd_) hotadd_->poll(sink);
}

void LiveSource::drain(const EventSink& sink) {
  tracer_->drain(with_cgroup_paths(sink));
  if (hotadd_) hotadd_->poll(sink);
}

std::vector<Event> LiveSource::sample() {
  std::vector<Event> out;
  auto sink = [&](Event&& e) { out.push_back(std::move(e)); };
  const TimeNs now = monotonic_now();
  // zones first, so page-alloc attribution follows a zone that just grew
  try {
    ZoneSample zs = proc_.zones();
    std::string layout;
    for (const auto& z : zs.zones)
      layout += std::to_string(z.nid) + ":" + std::to_string(z.zid) + ":" + std::to_string(z.start_pfn) +
                ":" + std::to_string(z.spanned) + ";";
    if (layout != zone_layout_) {
      tracer_->set_zone_ranges(zs.zones);
      zone_layout_ = layout;
    }
    sink(Event{now, std::move(zs)});
  } catch (const std::exception&) {
    // zoneinfo unreadable or unparsable: the summary shows no zone table
  }
  sink(Event{now, tracer_->alloc_counters()});
  sink(Event{now, tracer_->reclaim_counters()});
  sink(Event{now, tracer_->probe_counters()});
  try {
    sink(Event{now, proc_.vmstat()});
  } catch (const std::exception&) {
  }
  sink(Event{now, proc_.kswapd_cpu()});
  return out;
}

}  // namespace kst
