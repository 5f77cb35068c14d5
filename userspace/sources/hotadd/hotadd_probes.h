// The optional kernel probes of memory hot-add (bpf/hotadd.bpf.c): fentry
// (else kprobe) on add_memory_resource and online_pages, fexit (else
// kretprobe) on setup_per_zone_wmarks, and the kmem:mm_setup_per_zone_wmarks
// / mm_setup_per_zone_lowmem_reserve tracepoints (tp_btf, else classic).
//
// Each planned probe gets its own instance of the skeleton, so one that
// cannot load or attach is reported and skipped; nothing here ever throws,
// and the core tracing (BpfTracer) never depends on it.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/event.h"
#include "sources/bpf/bpf_records.h"
#include "sources/bpf/bpf_tracer.h"
#include "sources/bpf/feature_probe.h"

namespace kst {

struct HotAddProbePlan {
  std::string source;  // hotadd_source name: "add_memory_resource", "kmem:mm_setup_per_zone_wmarks", ...
  std::string target;  // function or tracepoint name
  bool function = false;
  bool in_btf = false, in_kallsyms = false, in_tracefs = false;
  std::string mode;     // "fentry", "fexit", "kprobe", "kretprobe", "tp_btf", "tracepoint"; "" = missing
  std::string program;  // program name in bpf/hotadd.bpf.c
  std::string reason;   // why missing
  // what the loader tries, in order (mode, program); the first one is mode/program
  std::vector<std::pair<std::string, std::string>> candidates;
};

// How each hot-add probe would attach here (used by `features` and the loader).
// `mode` restricts the two tracepoints like the core events (tp_btf / tracepoint),
// `funcs` the three function probes (fentry / kprobe / none).
std::vector<HotAddProbePlan> plan_hotadd_probes(FeatureProbe& probe, AttachMode mode = AttachMode::Auto,
                                                FuncProbeMode funcs = FuncProbeMode::Auto);

// Decodes one struct kst_ha_rec (bpf/hotadd_abi.h) into a HotplugCall event.
DecodeResult decode_hotadd_record(const void* data, size_t size);

class HotAddProbes {
 public:
  // Loads and attaches what plan_hotadd_probes() allows; status[source] is
  // set to the mode in use or "missing: <why>".
  HotAddProbes(FeatureProbe& probe, bool verbose, std::map<std::string, std::string>& status,
               AttachMode mode = AttachMode::Auto, FuncProbeMode funcs = FuncProbeMode::Auto);
  ~HotAddProbes();
  HotAddProbes(const HotAddProbes&) = delete;
  HotAddProbes& operator=(const HotAddProbes&) = delete;

  bool active() const;
  // Delivers buffered records without waiting.
  int drain(const EventSink& sink);
  uint64_t decode_errors() const { return decode_errors_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t decode_errors_ = 0;
};

}  // namespace kst
