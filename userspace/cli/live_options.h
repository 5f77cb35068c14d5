// What the tracing commands (one-shot, watch, record) share: the options that
// choose how probes attach, and opening the live source with them.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/watch_loop.h"
#include "sources/live/live_source.h"

namespace kst::cli {

struct LiveOptions {
  std::string attach = "auto";         // tracepoints: auto, tp_btf, tracepoint
  std::string hotadd_probes = "auto";  // hot-add function probes: auto, fentry, kprobe, none
  std::string btf;                     // BTF file instead of /sys/kernel/btf/vmlinux
  std::string backend = "auto";        // auto, bpf, tracefs
  std::string tracefs_alloc = "auto";  // how the tracefs backend counts page allocations
  bool verbose = false;                // libbpf's messages
  bool wake_every_event = false;       // hidden: no ring-buffer wake-up batching (benchmark baseline)
  TraceFilter filter;                  // -p, -c, resolved (cli/trace_scope.h)
  bool by_tgid = false;                // -- CMD: its processes, added once it is forked
};

// --backend, --tracefs-alloc, --attach, --hotadd-probes, --btf on APP: what decides the attach plan
// (also `features`, which previews that plan).
void add_plan_options(CLI::App& app, LiveOptions& o);

// The plan options and -v/--verbose on APP.
void add_live_options(CLI::App& app, LiveOptions& o);

// Loads and attaches everything; on failure prints the one-line error and
// returns nullptr (the caller exits with kExitError). PROBE must outlive it.
std::unique_ptr<LiveSource> open_live_source(const LiveOptions& o, FeatureProbe& probe);

// The live source as the loop of `watch` and `agent` sees it.
class LiveWatchSource : public WatchSource {
 public:
  explicit LiveWatchSource(std::unique_ptr<LiveSource> src) : src_(std::move(src)) {}
  const SourceInfo& info() const override { return src_->info(); }
  TimeNs now() override { return monotonic_now(); }
  void poll(int timeout_ms, const Sink& sink) override { src_->poll(timeout_ms, sink); }
  void drain(const Sink& sink) override { src_->drain(sink); }
  std::vector<Event> sample() override { return src_->sample(); }
  std::string label(TimeNs) override;  // local wall-clock HH:MM:SS

 private:
  std::unique_ptr<LiveSource> src_;
};

}  // namespace kst::cli
