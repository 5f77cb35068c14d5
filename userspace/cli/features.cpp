// `kswaptrace features`: what this kernel supports and which mode will be used.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/live_options.h"
#include "core/untrusted_text.h"
#include "sinks/json/envelope.h"
#include "sources/bpf/bpf_tracer.h"
#include "sources/bpf/feature_probe.h"
#include "sources/hotadd/hotadd_monitor.h"
#include "sources/hotadd/hotadd_probes.h"
#include "sources/hotadd/uevent_listener.h"
#include "sources/procfs/host_identity_reader.h"
#include "sources/procfs/procfs.h"

namespace kst::cli {
namespace {

struct FeaturesOptions {
  bool json = false;
  LiveOptions plan;  // --attach/--hotadd-probes preview a restricted plan
};

int run_features(const FeaturesOptions& o) {
  FeatureProbe probe(o.plan.btf);
  const std::string release = ProcReader().kernel_release();
  const bool root = probe.is_root();
  std::vector<std::pair<std::string, Probe>> rows = {
      {"root", {root, root ? "euid 0" : "not root: BPF loading will fail; run with sudo"}},
      {"btf", probe.btf()},
      {"tracefs", probe.tracefs()},
  };
  if (root) {
    rows.push_back({"ringbuf", probe.ringbuf()});
    rows.push_back({"tp_btf", probe.tp_btf()});
    rows.push_back({"fentry", probe.fentry()});
  } else {
    for (const char* k : {"ringbuf", "tp_btf", "fentry"})
      rows.push_back({k, {false, "not probed (needs root)"}});
  }
  rows.push_back({"kprobes", probe.kprobes()});
  std::vector<AttachPlan> plan = plan_attach(probe, parse_attach_mode(o.plan.attach));

  // memory hot-add sources (issue 6): what `kswaptrace` would use here
  struct HotAddRow {
    std::string source, kind, mode, reason;
  };
  std::vector<HotAddRow> hotadd;
  {
    HotAddRow r{"uevent", "netlink", "", ""};
    UeventListener l;
    if (l.ok())
      r.mode = "netlink";
    else
      r.reason = l.error();
    hotadd.push_back(r);
  }
  for (const auto& p : plan_hotadd_probes(probe, parse_attach_mode(o.plan.attach),
                                          parse_func_probe_mode(o.plan.hotadd_probes)))
    hotadd.push_back({p.source, p.function ? "function" : "tracepoint", p.mode, p.reason});
  hotadd.push_back({"xen-balloon", "sysfs", read_xen_balloon() ? "sysfs" : "",
                    read_xen_balloon() ? "" : "no Xen balloon (/sys/devices/system/xen_memory absent)"});
  {
    auto zi = read_text_file("/proc/zoneinfo");
    hotadd.push_back({"zoneinfo", "procfs", zi ? "procfs" : "", zi ? "" : "cannot read /proc/zoneinfo"});
  }

  if (o.json) {
    nlohmann::json j;
    add_envelope(j, "features", live_host_identity(), realtime_now_ns());
    for (const auto& [k, p] : rows) j["features"][k] = {{"ok", p.ok}, {"detail", p.detail}};
    for (const auto& p : plan)
      j["tracepoints"].push_back({{"event", p.sys + ":" + p.name},
                                  {"required", p.required},
                                  {"tracefs", p.in_tracefs},
                                  {"btf", p.in_btf},
                                  {"mode", p.mode.empty() ? "missing" : p.mode},
                                  {"reason", p.reason}});
    for (const auto& h : hotadd)
      j["hotadd"].push_back({{"source", h.source},
                             {"kind", h.kind},
                             {"mode", h.mode.empty() ? "missing" : h.mode},
                             {"reason", h.reason}});
    std::cout << json_text(j, 2) << "\n";
  } else {
    std::printf("kernel     %s\n", release.c_str());
    for (const auto& [k, p] : rows)
      std::printf("%-10s %-4s %s\n", k.c_str(), p.ok ? "yes" : "no", p.detail.c_str());
    std::printf("\n%-42s %-8s %-7s %-4s %s\n", "tracepoint", "needed", "tracefs", "btf", "mode");
    for (const auto& p : plan)
      std::printf("%-42s %-8s %-7s %-4s %s\n", (p.sys + ":" + p.name).c_str(),
                  p.required ? "yes" : "optional", p.in_tracefs ? "yes" : "no", p.in_btf ? "yes" : "no",
                  p.mode.empty() ? ("missing: " + p.reason).c_str() : p.mode.c_str());
    std::printf("\n%-42s %-10s %s\n", "hot-add source", "kind", "mode");
    for (const auto& h : hotadd)
      std::printf("%-42s %-10s %s\n", h.source.c_str(), h.kind.c_str(),
                  h.mode.empty() ? ("missing: " + h.reason).c_str() : h.mode.c_str());
  }
  return kExitOk;
}

}  // namespace

void register_features(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<FeaturesOptions>();
  CLI::App* sub =
      app.add_subcommand("features", "print what the running kernel supports and the attach mode per event");
  sub->add_flag("-j,--json", o->json, "JSON output");
  add_plan_options(*sub, o->plan);
  set_examples(*sub, {"kswaptrace features", "kswaptrace features --attach tracepoint --json"});
  reg.push_back({sub, [o]() { return run_features(*o); }});
}

}  // namespace kst::cli
