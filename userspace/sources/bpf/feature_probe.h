// What the running kernel supports, probed once and cached.
// Decisions are made from these answers, never from version numbers.
#pragma once

#include <map>
#include <optional>
#include <string>

struct btf;

namespace kst {

struct Probe {
  bool ok = false;
  std::string detail;  // why not, or how it was found
};

class FeatureProbe {
 public:
  // btf_path: external BTF file to use instead of /sys/kernel/btf/vmlinux.
  explicit FeatureProbe(std::string btf_path = "");
  ~FeatureProbe();
  FeatureProbe(const FeatureProbe&) = delete;
  FeatureProbe& operator=(const FeatureProbe&) = delete;

  bool is_root() const;
  const Probe& btf();
  const Probe& tracefs();  // detail = mount point when ok
  const Probe& ringbuf();
  const Probe& tp_btf();  // can a tp_btf program load and attach
  const Probe& fentry();
  const Probe& kprobes();
  // Tracepoint present in tracefs (events/<sys>/<name>) / in BTF (btf_trace_<name>).
  bool tracepoint_in_tracefs(const std::string& sys, const std::string& name);
  bool tracepoint_in_btf(const std::string& name);
  // Value of an enumerator in the kernel BTF (e.g. ___GFP_DIRECT_RECLAIM_BIT).
  std::optional<long long> btf_enum_value(const std::string& name);

  const std::string& btf_path() const { return btf_path_; }
  struct btf* vmlinux_btf();  // owned by the probe; nullptr without BTF

 private:
  Probe probe_tracing_prog(int attach_type, const char* btf_name, int btf_kind);

  std::string btf_path_;
  struct btf* btf_ = nullptr;
  bool btf_loaded_ = false;
  std::optional<Probe> btf_probe_, tracefs_, ringbuf_, tp_btf_, fentry_, kprobes_;
  std::map<std::string, bool> tracefs_events_, btf_events_;
};

}  // namespace kst
