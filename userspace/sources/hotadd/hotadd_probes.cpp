#include "sources/hotadd/hotadd_probes.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>

#include "core/hotadd_tracker.h"
#include "hotadd.skel.h"
#include "hotadd_abi.h"

namespace kst {
namespace {

struct ProbeSpec {
  const char* source;
  const char* target;
  bool function;
  const char* first_mode;  // fentry/fexit or tp_btf
  const char* first_prog;
  const char* second_mode;  // kprobe/kretprobe or tracepoint
  const char* second_prog;
};

const ProbeSpec kProbes[] = {
    {hotadd_source::kAddMemory, "add_memory_resource", true, "fentry", "fentry_add_memory_resource", "kprobe",
     "kprobe_add_memory_resource"},
    {hotadd_source::kOnlinePages, "online_pages", true, "fentry", "fentry_online_pages", "kprobe",
     "kprobe_online_pages"},
    {hotadd_source::kSetupWmarks, "setup_per_zone_wmarks", true, "fexit", "fexit_setup_per_zone_wmarks",
     "kretprobe", "kretprobe_setup_per_zone_wmarks"},
    {hotadd_source::kTpWmarks, "mm_setup_per_zone_wmarks", false, "tp_btf", "btf_zone_wmarks", "tracepoint",
     "tp_zone_wmarks"},
    {hotadd_source::kTpLowmem, "mm_setup_per_zone_lowmem_reserve", false, "tp_btf", "btf_lowmem_reserve",
     "tracepoint", "tp_lowmem_reserve"},
};

const std::set<std::string>& kallsyms() {
  static const std::set<std::string> names = [] {
    std::set<std::string> s;
    std::ifstream in("/proc/kallsyms");
    std::string addr, type, name;
    while (in >> addr >> type) {
      std::getline(in, name);
      size_t b = name.find_first_not_of(" \t");
      if (b == std::string::npos) continue;
      name = name.substr(b);
      if (name.find('\t') != std::string::npos) continue;  // module symbols: "name\t[mod]"
      if (type == "T" || type == "t") s.insert(name);
    }
    return s;
  }();
  return names;
}

bool btf_has_func(FeatureProbe& probe, const char* name) {
  struct btf* b = probe.vmlinux_btf();
  return b && btf__find_by_name_kind(b, name, BTF_KIND_FUNC) > 0;
}

// online_pages(pfn, nr_pages, struct zone *zone, ...) since 5.12; an int before
bool online_pages_has_zone(FeatureProbe& probe) {
  struct btf* b = probe.vmlinux_btf();
  if (!b) return true;
  int id = btf__find_by_name_kind(b, "online_pages", BTF_KIND_FUNC);
  if (id <= 0) return true;
  const struct btf_type* proto = btf__type_by_id(b, btf__type_by_id(b, id)->type);
  if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) < 3) return false;
  const struct btf_type* t = btf__type_by_id(b, btf_params(proto)[2].type);
  while (t && (btf_is_mod(t) || btf_is_typedef(t))) t = btf__type_by_id(b, t->type);
  return t && btf_is_ptr(t);
}

std::string errstr(int err) { return strerror(err < 0 ? -err : err); }

bool g_verbose = false;
int libbpf_print(enum libbpf_print_level, const char* fmt, va_list ap) {
  return g_verbose ? vfprintf(stderr, fmt, ap) : 0;
}

const char* via_name(uint8_t via) {
  switch (via) {
    case KST_HA_VIA_FENTRY: return "fentry";
    case KST_HA_VIA_FEXIT: return "fexit";
    case KST_HA_VIA_KPROBE: return "kprobe";
    case KST_HA_VIA_KRETPROBE: return "kretprobe";
    case KST_HA_VIA_TP_BTF: return "tp_btf";
    case KST_HA_VIA_TRACEPOINT: return "tracepoint";
  }
  return "unknown";
}

struct Loaded {
  hotadd_bpf* skel;
  bpf_link* link;
};

std::string cstr(const char (&c)[KST_HA_NAME_LEN]) { return std::string(c, strnlen(c, KST_HA_NAME_LEN)); }

}  // namespace

std::vector<HotAddProbePlan> plan_hotadd_probes(FeatureProbe& probe, AttachMode mode, FuncProbeMode funcs) {
  std::vector<HotAddProbePlan> out;
  const bool root = probe.is_root();
  for (const ProbeSpec& s : kProbes) {
    HotAddProbePlan p;
    p.source = s.source;
    p.target = s.target;
    p.function = s.function;
    if (s.function) {
      p.in_btf = btf_has_func(probe, s.target);
      p.in_kallsyms = kallsyms().count(s.target) > 0;
      const bool fentry_ok = funcs == FuncProbeMode::Auto || funcs == FuncProbeMode::Fentry;
      const bool kprobe_ok = funcs == FuncProbeMode::Auto || funcs == FuncProbeMode::Kprobe;
      if (root && fentry_ok && p.in_btf && probe.fentry().ok)
        p.candidates.push_back({s.first_mode, s.first_prog});
      if (root && kprobe_ok && p.in_kallsyms && probe.kprobes().ok)
        p.candidates.push_back({s.second_mode, s.second_prog});
      if (!root)
        p.reason = "needs root";
      else if (funcs == FuncProbeMode::None)
        p.reason = "function probes disabled (--hotadd-probes none)";
      else if (funcs == FuncProbeMode::Fentry && (!p.in_btf || !probe.fentry().ok))
        p.reason = "--hotadd-probes fentry, and no fentry here (" +
                   (p.in_btf ? probe.fentry().detail : std::string(s.target) + " is not in BTF") + ")";
      else if (funcs == FuncProbeMode::Kprobe && (!p.in_kallsyms || !probe.kprobes().ok))
        p.reason =
            "--hotadd-probes kprobe, and no kprobe here (" +
            (p.in_kallsyms ? probe.kprobes().detail : std::string(s.target) + " is not in /proc/kallsyms") +
            ")";
      else if (!p.in_btf && !p.in_kallsyms)
        p.reason = std::string(s.target) + " is neither in BTF nor in /proc/kallsyms (inlined or not built)";
      else
        p.reason =
            "no fentry (" + probe.fentry().detail + ") and no kprobes (" + probe.kprobes().detail + ")";
    } else {
      p.in_btf = probe.tracepoint_in_btf(s.target);
      p.in_tracefs = probe.tracepoint_in_tracefs("kmem", s.target);
      const bool can_btf = root && p.in_btf && probe.tp_btf().ok;
      const bool can_tp = root && p.in_tracefs;
      if (can_btf && mode != AttachMode::Tracepoint) p.candidates.push_back({s.first_mode, s.first_prog});
      if (can_tp && mode != AttachMode::TpBtf) p.candidates.push_back({s.second_mode, s.second_prog});
      if (!root)
        p.reason = "needs root";
      else if (!p.in_btf && !p.in_tracefs)
        p.reason = std::string("this kernel has no kmem:") + s.target + " tracepoint";
      else if (can_btf || can_tp)
        p.reason = "not available in the requested attach mode";
      else
        p.reason = "tp_btf does not work here (" + probe.tp_btf().detail + ") and " + probe.tracefs().detail;
    }
    if (!p.candidates.empty()) {
      p.mode = p.candidates.front().first;
      p.program = p.candidates.front().second;
      p.reason.clear();
    }
    out.push_back(std::move(p));
  }
  return out;
}

DecodeResult decode_hotadd_record(const void* data, size_t size) {
  DecodeResult r;
  kst_ha_rec rec;
  if (size < sizeof rec) {
    r.error = "hot-add record of " + std::to_string(size) + " bytes, expected " + std::to_string(sizeof rec);
    return r;
  }
  std::memcpy(&rec, data, sizeof rec);
  if (rec.size != sizeof rec) {
    r.error = "hot-add record says size " + std::to_string(rec.size);
    return r;
  }
  HotplugCall c;
  switch (rec.kind) {
    case KST_HA_ADD_MEMORY: c.kind = HotplugCall::AddMemory; break;
    case KST_HA_ONLINE_PAGES: c.kind = HotplugCall::OnlinePages; break;
    case KST_HA_SETUP_WMARKS: c.kind = HotplugCall::SetupWmarks; break;
    case KST_HA_ZONE_WMARKS: c.kind = HotplugCall::ZoneWmarks; break;
    case KST_HA_LOWMEM_RESERVE: c.kind = HotplugCall::LowmemReserve; break;
    default: r.error = "unknown hot-add record kind " + std::to_string(rec.kind); return r;
  }
  c.via = via_name(rec.via);
  c.nid = rec.nid;
  c.zid = rec.zid;
  c.zone = cstr(rec.zone);
  c.upper_zone = cstr(rec.upper_zone);
  c.start_pfn = rec.start_pfn;
  c.nr_pages = rec.nr_pages;
  c.min = rec.wmark_min;
  c.low = rec.wmark_low;
  c.high = rec.wmark_high;
  c.managed = rec.managed;
  c.present = rec.present;
  c.lowmem_reserve = rec.lowmem_reserve;
  r.event = Event{rec.ts_ns, std::move(c)};
  return r;
}

struct HotAddProbes::Impl {
  std::vector<Loaded> instances;
  ring_buffer* rb = nullptr;
  const EventSink* sink = nullptr;
  HotAddProbes* owner = nullptr;

  ~Impl() {
    if (rb) ring_buffer__free(rb);
    for (auto& i : instances) {
      if (i.link) bpf_link__destroy(i.link);
      hotadd_bpf__destroy(i.skel);
    }
  }

  static int on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    DecodeResult r = decode_hotadd_record(data, size);
    if (!r.event) {
      self->owner->decode_errors_++;
      return 0;
    }
    if (self->sink) (*self->sink)(std::move(*r.event));
    return 0;
  }
};

namespace {

// One instance of the object with only `prog_name` loaded and attached.
std::optional<Loaded> load_one(FeatureProbe& probe, const std::string& prog_name, const std::string& mode,
                               uint32_t shift, bool has_zone, std::string& why) {
  auto note = [&](const std::string& m) { why += (why.empty() ? "" : "; ") + mode + ": " + m; };
  LIBBPF_OPTS(bpf_object_open_opts, oo);
  if (!probe.btf_path().empty()) oo.btf_custom_path = probe.btf_path().c_str();
  hotadd_bpf* skel = hotadd_bpf__open_opts(&oo);
  if (!skel) {
    note("cannot open the BPF object: " + errstr(errno));
    return std::nullopt;
  }
  skel->rodata->page_shift = shift;
  skel->rodata->online_pages_has_zone = has_zone;
  bpf_program* chosen = nullptr;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    const bool mine = prog_name == bpf_program__name(prog);
    bpf_program__set_autoload(prog, mine);
    if (mine) chosen = prog;
  }
  int err = chosen ? hotadd_bpf__load(skel) : -ENOENT;
  if (err) {
    note("load failed: " + errstr(err));
    hotadd_bpf__destroy(skel);
    return std::nullopt;
  }
  bpf_link* link = bpf_program__attach(chosen);
  if (!link) {
    note("attach failed: " + errstr(errno));
    hotadd_bpf__destroy(skel);
    return std::nullopt;
  }
  return Loaded{skel, link};
}

}  // namespace

HotAddProbes::HotAddProbes(FeatureProbe& probe, bool verbose, std::map<std::string, std::string>& status,
                           AttachMode mode, FuncProbeMode funcs)
    : impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
  g_verbose = verbose;
  const std::vector<HotAddProbePlan> plan = plan_hotadd_probes(probe, mode, funcs);
  const bool has_zone = online_pages_has_zone(probe);
  const long page = sysconf(_SC_PAGESIZE);
  uint32_t shift = 12;
  while (page > 0 && (1L << shift) < page) shift++;

  libbpf_print_fn_t old = libbpf_set_print(libbpf_print);
  for (const HotAddProbePlan& p : plan) {
    if (p.mode.empty()) {
      status[p.source] = "missing: " + p.reason;
      continue;
    }
    if (!probe.btf().ok || !probe.ringbuf().ok) {
      status[p.source] = "missing: " + (probe.btf().ok ? probe.ringbuf().detail : probe.btf().detail);
      continue;
    }
    std::string why;
    for (const auto& [mode_name, prog_name] : p.candidates) {
      if (auto inst = load_one(probe, prog_name, mode_name, shift, has_zone, why)) {
        const int fd = bpf_map__fd(inst->skel->maps.events);
        int err = 0;
        if (!impl_->rb) {
          impl_->rb = ring_buffer__new(fd, Impl::on_record, impl_.get(), nullptr);
          if (!impl_->rb) err = -errno;
        } else {
          err = ring_buffer__add(impl_->rb, fd, Impl::on_record, impl_.get());
        }
        if (err) {
          why += (why.empty() ? "" : "; ") + std::string("ring buffer: ") + errstr(err);
          bpf_link__destroy(inst->link);
          hotadd_bpf__destroy(inst->skel);
          continue;
        }
        impl_->instances.push_back(*inst);
        status[p.source] = mode_name;
        why.clear();
        break;
      }
    }
    if (!why.empty()) status[p.source] = "missing: " + why;
  }
  libbpf_set_print(old);
}

HotAddProbes::~HotAddProbes() = default;

bool HotAddProbes::active() const { return !impl_->instances.empty(); }

int HotAddProbes::drain(const EventSink& sink) {
  if (!impl_->rb) return 0;
  impl_->sink = &sink;
  int n = ring_buffer__consume(impl_->rb);
  impl_->sink = nullptr;
  return n < 0 ? 0 : n;
}

}  // namespace kst
