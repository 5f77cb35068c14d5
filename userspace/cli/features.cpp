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
#include "sources/tracefs/tracefs_tracer.h"

namespace kst::cli {
namespace {

struct FeaturesOptions {
  bool json = false;
  LiveOptions plan;  // --attach/--hotadd-probes preview a restricted plan
};

// Which backend a live command would run, and why (the probes BpfTracer's
// constructor checks first; a program the verifier rejects shows only at load).
std::pair<std::string, std::string> preview_backend(FeatureProbe& probe, const std::vector<AttachPlan>& plan,
                                                    const std::string& requested) {
  std::string bpf_no;
  if (!probe.is_root())
    bpf_no = "not root";
  else if (!probe.btf().ok)
    bpf_no = probe.btf().detail;
  else if (!probe.ringbuf().ok)
    bpf_no = "no BPF ring buffer: " + probe.ringbuf().detail;
  for (const auto& p : plan)
    if (bpf_no.empty() && p.required && p.mode.empty())
      bpf_no = "cannot attach " + p.sys + ":" + p.name + ": " + p.reason;
  const TracefsPlan t = plan_tracefs(probe);
  const std::string tracefs_why =
      t.ok ? std::string("instance under ") + t.detail + "/instances; page allocations " +
                 (t.hist ? "streamed (hist triggers present, not used yet)" : "streamed (no hist triggers)")
           : t.detail;
  if (requested == "bpf") return {bpf_no.empty() ? "bpf" : "none", bpf_no.empty() ? "requested" : bpf_no};
  if (requested == "tracefs") return {t.ok ? "tracefs" : "none", tracefs_why};
  if (bpf_no.empty()) return {"bpf", "BTF, ring buffer and every required tracepoint are usable"};
  return {t.ok ? "tracefs" : "none", "BPF cannot run (" + bpf_no + "); tracefs: " + tracefs_why};
}

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
  // as open_live_source: an explicit --btf means BPF
  const auto [backend, backend_why] =
      preview_backend(probe, plan, o.plan.backend == "auto" && !o.plan.btf.empty() ? "bpf" : o.plan.backend);

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
    j["backend"] = {{"name", backend}, {"why", backend_why}};
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
    std::printf("backend    %s: %s\n", backend.c_str(), backend_why.c_str());
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
