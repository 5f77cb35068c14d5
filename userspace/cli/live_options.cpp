#include "cli/live_options.h"

#include <time.h>

#include "cli/commands.h"

namespace kst::cli {

void add_plan_options(CLI::App& app, LiveOptions& o) {
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
}

std::unique_ptr<LiveSource> open_live_source(const LiveOptions& o, FeatureProbe& probe) {
  TracerOptions topts;
  topts.mode = parse_attach_mode(o.attach);
  topts.hotadd_funcs = parse_func_probe_mode(o.hotadd_probes);
  topts.verbose = o.verbose;
  topts.filter = o.filter;
  topts.by_tgid = o.by_tgid;
  try {
    return std::make_unique<LiveSource>(topts, probe);
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
