#include "cli/live_options.h"

#include <time.h>

#include <iostream>

#include "cli/commands.h"

namespace kst::cli {

void add_plan_options(CLI::App& app, LiveOptions& o) {
  app.add_option("--backend", o.backend,
                 "tracer: bpf, tracefs (no BPF: a private ftrace instance), or auto = bpf when it "
                 "loads, else tracefs")
      ->check(CLI::IsMember({"auto", "bpf", "tracefs"}))
      ->capture_default_str();
  app.add_option("--tracefs-alloc", o.tracefs_alloc,
                 "tracefs backend: count kmem:mm_page_alloc by streaming every record (stream), "
                 "or not at all (off); auto = stream")
      ->check(CLI::IsMember({"auto", "stream", "off"}))
      ->capture_default_str();
  app.add_option("--attach", o.attach, "attach mode for the tracepoints")
      ->check(CLI::IsMember({"auto", "tp_btf", "tracepoint"}))
      ->capture_default_str();
  app.add_option("--hotadd-probes", o.hotadd_probes,
                 "function probes for memory hot-add (add_memory_resource, online_pages, "
                 "setup_per_zone_wmarks): auto = fentry, else kprobe")
      ->check(CLI::IsMember({"auto", "fentry", "kprobe", "none"}))
      ->capture_default_str();
  app.add_option("--btf", o.btf, "kernel BTF file to use instead of /sys/kernel/btf/vmlinux")
      ->check(CLI::ExistingFile);
}

void add_live_options(CLI::App& app, LiveOptions& o) {
  app.add_flag("-v,--verbose", o.verbose, "show libbpf's messages (verifier log on load errors)");
  add_plan_options(app, o);
  app.add_flag("--wakeup-every-event", o.wake_every_event,
               "wake the reader on every ring-buffer record (the baseline of scripts/bench-wakeup)")
      ->group("");  // hidden
}

std::unique_ptr<LiveSource> open_live_source(const LiveOptions& o, FeatureProbe& probe) {
  TracerOptions topts;
  topts.mode = parse_attach_mode(o.attach);
  topts.hotadd_funcs = parse_func_probe_mode(o.hotadd_probes);
  topts.verbose = o.verbose;
  topts.batch_wakeups = !o.wake_every_event;
  BackendOptions bo;
  bo.backend = parse_backend(o.backend);
  // an explicit BTF file asks for BPF: a bad one is an error, not a reason to fall back
  if (bo.backend == Backend::Auto && !o.btf.empty()) bo.backend = Backend::Bpf;
  bo.tracefs.alloc = parse_tracefs_alloc(o.tracefs_alloc);
  topts.filter = o.filter;
  topts.by_tgid = o.by_tgid;
  // -p, -c and -- CMD filter inside the BPF programs; the tracefs backend has
  // no such filter, and filtering after the fact would count what -p excludes
  const bool scoped = o.filter.active() || o.by_tgid;
  if (scoped && bo.backend == Backend::Tracefs)
    fail("-p, -c and -- CMD need the BPF backend (not --backend tracefs)");
  if (scoped) bo.backend = Backend::Bpf;
  try {
    auto src = std::make_unique<LiveSource>(topts, probe, ProcReader(), bo);
    if (!src->fallback_reason().empty())
      std::cerr << "kswaptrace: BPF did not load (" << src->fallback_reason()
                << "): tracing with the tracefs backend\n";
    return src;
  } catch (const TraceError& e) {
    fail(e.what());
    return nullptr;
  }
}

std::string LiveWatchSource::label(TimeNs) {
  const time_t t = time(nullptr);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[16];
  strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

}  // namespace kst::cli
