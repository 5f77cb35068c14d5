#include "sources/bpf/feature_probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kst {
namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

}  // namespace

FeatureProbe::FeatureProbe(std::string btf_path) : btf_path_(std::move(btf_path)) {}

FeatureProbe::~FeatureProbe() {
  if (btf_) btf__free(btf_);
}

bool FeatureProbe::is_root() const { return geteuid() == 0; }

struct btf* FeatureProbe::vmlinux_btf() {
  if (!btf_loaded_) {
    btf_loaded_ = true;
    btf_ = btf_path_.empty() ? btf__load_vmlinux_btf() : btf__parse(btf_path_.c_str(), nullptr);
    if (!btf_ || libbpf_get_error(btf_)) btf_ = nullptr;
  }
  return btf_;
}

const Probe& FeatureProbe::btf() {
  if (!btf_probe_) {
    Probe p;
    const std::string where = btf_path_.empty() ? "/sys/kernel/btf/vmlinux" : btf_path_;
    if (vmlinux_btf()) {
      p.ok = true;
      p.detail = where;
    } else {
      p.detail = "no kernel BTF at " + where + " (kernel built without CONFIG_DEBUG_INFO_BTF?)";
    }
    btf_probe_ = p;
  }
  return *btf_probe_;
}

const Probe& FeatureProbe::tracefs() {
  if (!tracefs_) {
    Probe p;
    for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
      if (exists(std::string(dir) + "/events")) {
        p.ok = true;
        p.detail = dir;
        break;
      }
    }
    if (!p.ok) p.detail = "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)";
    tracefs_ = p;
  }
  return *tracefs_;
}

bool FeatureProbe::tracepoint_in_tracefs(const std::string& sys, const std::string& name) {
  const std::string key = sys + "/" + name;
  auto it = tracefs_events_.find(key);
  if (it != tracefs_events_.end()) return it->second;
  bool ok = tracefs().ok && exists(tracefs().detail + "/events/" + key + "/format");
  tracefs_events_[key] = ok;
  return ok;
}

bool FeatureProbe::tracepoint_in_btf(const std::string& name) {
  auto it = btf_events_.find(name);
  if (it != btf_events_.end()) return it->second;
  struct btf* b = vmlinux_btf();
  bool ok = b && btf__find_by_name_kind(b, ("btf_trace_" + name).c_str(), BTF_KIND_TYPEDEF) > 0;
  btf_events_[name] = ok;
  return ok;
}

std::optional<long long> FeatureProbe::btf_enum_value(const std::string& name) {
  struct btf* b = vmlinux_btf();
  if (!b) return std::nullopt;
  const __u32 n = btf__type_cnt(b);
  for (__u32 id = 1; id < n; id++) {
    const struct btf_type* t = btf__type_by_id(b, id);
    if (!btf_is_enum(t)) continue;
    const struct btf_enum* e = btf_enum(t);
    for (__u16 i = 0; i < btf_vlen(t); i++)
      if (name == btf__name_by_offset(b, e[i].name_off)) return e[i].val;
  }
  return std::nullopt;
}

const Probe& FeatureProbe::ringbuf() {
  if (!ringbuf_) {
    Probe p;
    int r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
    p.ok = r == 1;
    p.detail = p.ok ? "BPF_MAP_TYPE_RINGBUF"
                    : (r < 0 ? std::string("probe failed: ") + strerror(-r) : "not supported (needs 5.8+)");
    ringbuf_ = p;
  }
  return *ringbuf_;
}

Probe FeatureProbe::probe_tracing_prog(int attach_type, const char* btf_name, int btf_kind) {
  Probe p;
  struct btf* b = vmlinux_btf();
  if (!b) {
    p.detail = "needs kernel BTF";
    return p;
  }
  int id = btf__find_by_name_kind(b, btf_name, btf_kind);
  if (id <= 0) {
    p.detail = std::string(btf_name) + " not in BTF";
    return p;
  }
  struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = (enum bpf_attach_type)attach_type,
              .attach_btf_id = (__u32)id);
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "kst_probe", "GPL", insns, 2, &opts);
  if (fd < 0) {
    p.detail = std::string("load: ") + strerror(errno);
    return p;
  }
  int link = bpf_raw_tracepoint_open(nullptr, fd);
  if (link < 0) {
    p.detail = std::string("attach: ") + strerror(errno);
  } else {
    p.ok = true;
    p.detail = std::string("attached to ") + btf_name;
    close(link);
  }
  close(fd);
  return p;
}

const Probe& FeatureProbe::tp_btf() {
  if (!tp_btf_)
    tp_btf_ = probe_tracing_prog(BPF_TRACE_RAW_TP, "btf_trace_mm_vmscan_kswapd_sleep", BTF_KIND_TYPEDEF);
  return *tp_btf_;
}

const Probe& FeatureProbe::fentry() {
  if (!fentry_) fentry_ = probe_tracing_prog(BPF_TRACE_FENTRY, "setup_per_zone_wmarks", BTF_KIND_FUNC);
  return *fentry_;
}

const Probe& FeatureProbe::kprobes() {
  if (!kprobes_) {
    Probe p;
    if (exists("/sys/bus/event_source/devices/kprobe/type")) {
      p.ok = true;
      p.detail = "kprobe PMU";
    } else if (tracefs().ok && exists(tracefs().detail + "/kprobe_events")) {
      p.ok = true;
      p.detail = "tracefs kprobe_events";
    } else {
      p.detail = "kernel without CONFIG_KPROBES (no kprobe PMU, no kprobe_events)";
    }
    kprobes_ = p;
  }
  return *kprobes_;
}

}  // namespace kst
