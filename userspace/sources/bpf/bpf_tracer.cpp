#include "sources/bpf/bpf_tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <utility>

#include "alloc_abi.h"
#include "vmscan_abi.h"  // before the skeleton, which names its .rodata types
// (blank line: keeps clang-format from sorting it after the skeleton)

#include "kswaptrace.skel.h"
#include "sources/bpf/bpf_records.h"

namespace kst {
namespace {

struct SkelDeleter {
  void operator()(kswaptrace_bpf* s) const { kswaptrace_bpf__destroy(s); }
};
struct RingBufferDeleter {
  void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
};

bool g_verbose = false;
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG && !g_verbose) return 0;
  if (!g_verbose) return 0;  // errors are reported by us, in one line
  return vfprintf(stderr, fmt, ap);
}

// One traced event and its two attach-type twins.
struct EventSpec {
  const char* sys;
  const char* name;
  const char* btf_prog;  // program names in bpf/kswaptrace.bpf.c
  const char* tp_prog;
  bool required;
  bool prefer_tracepoint;  // the classic record carries more (mm_page_alloc: pfn)
};

const EventSpec kEvents[] = {
    {"vmscan", "mm_vmscan_kswapd_wake", "btf_kswapd_wake", "tp_kswapd_wake", true, false},
    {"vmscan", "mm_vmscan_kswapd_sleep", "btf_kswapd_sleep", "tp_kswapd_sleep", true, false},
    {"vmscan", "mm_vmscan_wakeup_kswapd", "btf_wakeup_kswapd", "tp_wakeup_kswapd", false, false},
    {"vmscan", "mm_vmscan_direct_reclaim_begin", "btf_direct_reclaim_begin", "tp_direct_reclaim_begin", true,
     false},
    {"vmscan", "mm_vmscan_direct_reclaim_end", "btf_direct_reclaim_end", "tp_direct_reclaim_end", true,
     false},
    {"vmscan", "mm_vmscan_memcg_reclaim_begin", "btf_memcg_reclaim_begin", "tp_memcg_reclaim_begin", false,
     false},
    {"vmscan", "mm_vmscan_memcg_reclaim_end", "btf_memcg_reclaim_end", "tp_memcg_reclaim_end", false, false},
    {"vmscan", "mm_vmscan_lru_shrink_inactive", "btf_lru_shrink_inactive", "tp_lru_shrink_inactive", false,
     false},
    {"kmem", "mm_page_alloc", "btf_page_alloc", "tp_page_alloc", true, true},
};

std::string errstr(int err) { return strerror(err < 0 ? -err : err); }

}  // namespace

std::vector<AttachPlan> plan_attach(FeatureProbe& probe, AttachMode mode) {
  std::vector<AttachPlan> out;
  const bool tp_btf_ok = probe.tp_btf().ok;
  for (const EventSpec& ev : kEvents) {
    AttachPlan p;
    p.sys = ev.sys;
    p.name = ev.name;
    p.required = ev.required;
    p.in_btf = probe.tracepoint_in_btf(ev.name);
    p.in_tracefs = probe.tracepoint_in_tracefs(ev.sys, ev.name);
    const bool can_btf = tp_btf_ok && p.in_btf;
    const bool can_tp = p.in_tracefs;
    switch (mode) {
      case AttachMode::TpBtf: p.mode = can_btf ? "tp_btf" : ""; break;
      case AttachMode::Tracepoint: p.mode = can_tp ? "tracepoint" : ""; break;
      case AttachMode::Auto:
        if (ev.prefer_tracepoint)
          p.mode = can_tp ? "tracepoint" : can_btf ? "tp_btf" : "";
        else
          p.mode = can_btf ? "tp_btf" : can_tp ? "tracepoint" : "";
        break;
    }
    if (p.mode.empty()) {
      const std::string full = p.sys + ":" + p.name;
      if (!p.in_btf && !p.in_tracefs && probe.tracefs().ok)
        p.reason = "this kernel has no " + full + " tracepoint";
      else if (!probe.tracefs().ok && (mode == AttachMode::Tracepoint || !can_btf))
        p.reason = probe.tracefs().detail;
      else if (!tp_btf_ok && mode == AttachMode::TpBtf)
        p.reason = "tp_btf programs do not work here: " + probe.tp_btf().detail;
      else
        p.reason = "not available in the requested attach mode";
    }
    out.push_back(std::move(p));
  }
  return out;
}

struct BpfTracer::Impl {
  std::unique_ptr<kswaptrace_bpf, SkelDeleter> skel;
  std::unique_ptr<ring_buffer, RingBufferDeleter> rb;
  const EventSink* sink = nullptr;
  BpfTracer* owner = nullptr;
  std::vector<std::pair<int32_t, int32_t>> slots;  // zone slot -> (nid, zid); (-1, -1) at the unknown slot
  int ncpus = 1;
  bool batched = false;

  static int on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    DecodeResult r = decode_record(data, size);
    if (!r.event) {
      self->owner->decode_errors_++;
      return 0;
    }
    if (self->sink) (*self->sink)(std::move(*r.event));
    return 0;
  }
};

BpfTracer::BpfTracer(const TracerOptions& opts, FeatureProbe& probe, SourceInfo& info)
    : impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
  g_verbose = opts.verbose;
  libbpf_set_print(libbpf_print);

  if (!probe.is_root()) throw TraceError("kswaptrace needs root (CAP_BPF, CAP_PERFMON): run it with sudo");
  if (!probe.btf().ok) throw TraceError(probe.btf().detail + "; pass --btf FILE with the kernel's BTF");
  if (!probe.ringbuf().ok) throw TraceError("BPF ring buffer unavailable: " + probe.ringbuf().detail);

  LIBBPF_OPTS(bpf_object_open_opts, oo);
  if (!probe.btf_path().empty()) oo.btf_custom_path = probe.btf_path().c_str();
  impl_->skel.reset(kswaptrace_bpf__open_opts(&oo));
  if (!impl_->skel) throw TraceError("cannot open the BPF object: " + errstr(errno));
  auto* skel = impl_->skel.get();

  // gfp bit layout of this kernel, from its BTF (the bits moved in 4.10 and 4.20)
  auto& gfp = skel->rodata->alloc_gfp;  // .rodata: written before load, frozen by it
  uint64_t direct_reclaim_bit = KST_GFP_USUAL_DIRECT_RECLAIM_BIT, movable_bit = KST_GFP_USUAL_MOVABLE_BIT;
  if (auto v = probe.btf_enum_value("___GFP_DIRECT_RECLAIM_BIT"))
    direct_reclaim_bit = static_cast<uint64_t>(*v);
  else
    info.degraded.push_back("gfp bit layout not in BTF: assuming __GFP_DIRECT_RECLAIM=0x400 (4.20+ layout)");
  if (auto v = probe.btf_enum_value("___GFP_MOVABLE_BIT")) movable_bit = static_cast<uint64_t>(*v);
  gfp.direct_reclaim_bit = static_cast<__u8>(direct_reclaim_bit & 63);
  gfp.movable_bit = static_cast<__u8>(movable_bit & 63);
  gfp.usual_layout =
      direct_reclaim_bit == KST_GFP_USUAL_DIRECT_RECLAIM_BIT && movable_bit == KST_GFP_USUAL_MOVABLE_BIT;

  const bool by_tgid = opts.by_tgid || !opts.filter.tgids.empty();
  auto& f = skel->rodata->filter;
  f.by_tgid = by_tgid;
  f.by_cgroup = opts.filter.by_cgroup;
  f.cgroup_id = opts.filter.cgroup_id;
  f.cgroup_level = opts.filter.cgroup_level;
  plan_fork_follower(probe, by_tgid, info);

  bpf_map__set_max_entries(skel->maps.events, opts.ringbuf_bytes);
  impl_->batched = opts.batch_wakeups;
  skel->rodata->wakeup_bytes = opts.batch_wakeups ? opts.ringbuf_bytes / TracerOptions::kWakeupFraction : 0;
  impl_->ncpus = libbpf_num_possible_cpus();
  if (impl_->ncpus <= 0) throw TraceError("cannot count possible CPUs: " + errstr(impl_->ncpus));

  const std::vector<AttachPlan> plan = plan_attach(probe, opts.mode);
  for (size_t i = 0; i < plan.size(); i++) {
    const AttachPlan& p = plan[i];
    bpf_program* btf_prog = bpf_object__find_program_by_name(skel->obj, kEvents[i].btf_prog);
    bpf_program* tp_prog = bpf_object__find_program_by_name(skel->obj, kEvents[i].tp_prog);
    if (!btf_prog || !tp_prog) throw TraceError(std::string("BPF object lacks the programs for ") + p.name);
    bpf_program__set_autoload(btf_prog, p.mode == "tp_btf");
    bpf_program__set_autoload(tp_prog, p.mode == "tracepoint");
    const std::string full = p.sys + ":" + p.name;
    info.attach[p.name] = p.mode.empty() ? "missing" : p.mode;
    if (p.mode.empty()) {
      if (p.required) throw TraceError("cannot trace " + full + ": " + p.reason);
      info.degraded.push_back(full + " not traced: " + p.reason);
    } else if (p.name == "mm_page_alloc" && p.mode == "tp_btf") {
      info.degraded.push_back(
          "kmem:mm_page_alloc via tp_btf: no pfn, so allocations are not attributed to zones "
          "(mount tracefs for the classic tracepoint)");
    }
  }

  int err = kswaptrace_bpf__load(skel);
  if (err)
    throw TraceError("cannot load the BPF programs: " + errstr(err) + " (run with -v for the verifier log)");
  for (uint32_t tgid : opts.filter.tgids) trace_process(tgid);
  err = kswaptrace_bpf__attach(skel);
  if (err) throw TraceError("cannot attach the BPF programs: " + errstr(err) + " (run with -v for details)");

  impl_->rb.reset(ring_buffer__new(bpf_map__fd(skel->maps.events), Impl::on_record, impl_.get(), nullptr));
  if (!impl_->rb) throw TraceError("cannot set up the BPF ring buffer: " + errstr(errno));
}

BpfTracer::~BpfTracer() = default;

// -p follows children through sched:sched_process_fork, loaded only with -p.
void BpfTracer::plan_fork_follower(FeatureProbe& probe, bool by_tgid, SourceInfo& info) {
  auto* skel = impl_->skel.get();
  const bool btf = by_tgid && probe.tp_btf().ok && probe.tracepoint_in_btf("sched_process_fork");
  const bool tp = by_tgid && !btf && probe.tracepoint_in_tracefs("sched", "sched_process_fork");
  bpf_program__set_autoload(skel->progs.btf_process_fork, btf);
  bpf_program__set_autoload(skel->progs.tp_process_fork, tp);
  if (by_tgid && !btf && !tp)
    info.degraded.push_back(
        "sched:sched_process_fork not traceable: -p traces the named processes, not "
        "the children they fork");
}

void BpfTracer::trace_process(uint32_t tgid) {
  const __u8 one = 1;
  if (bpf_map_update_elem(bpf_map__fd(impl_->skel->maps.filter_tgids), &tgid, &one, BPF_ANY))
    throw TraceError("cannot add process " + std::to_string(tgid) + " to the filter: " + errstr(errno));
}

int BpfTracer::poll(int timeout_ms, const EventSink& sink) {
  impl_->sink = &sink;
  if (impl_->batched) timeout_ms = std::min(timeout_ms, TracerOptions::kMaxBatchLatencyMs);
  int n = ring_buffer__poll(impl_->rb.get(), timeout_ms);
  // Records submitted with BPF_RB_NO_WAKEUP do not make the ring buffer's fd
  // ready, so a poll that timed out has not looked at them: consume them now.
  if (impl_->batched && n >= 0) {
    const int more = ring_buffer__consume(impl_->rb.get());
    n = more < 0 ? more : n + more;
  }
  impl_->sink = nullptr;
  if (n < 0 && n != -EINTR) throw TraceError("ring buffer poll failed: " + errstr(n));
  return n < 0 ? 0 : n;
}

int BpfTracer::drain(const EventSink& sink) {
  impl_->sink = &sink;
  int n = ring_buffer__consume(impl_->rb.get());
  impl_->sink = nullptr;
  return n < 0 ? 0 : n;
}

std::vector<std::pair<std::string, int>> BpfTracer::program_fds() const {
  std::vector<std::pair<std::string, int>> out;
  bpf_program* prog;
  bpf_object__for_each_program(prog, impl_->skel->obj) {
    if (bpf_program__autoload(prog) && bpf_program__fd(prog) >= 0)
      out.emplace_back(bpf_program__name(prog), bpf_program__fd(prog));
  }
  return out;
}

bool BpfTracer::reattach(const std::string& prog_name) {
  bpf_object_skeleton* s = impl_->skel->skeleton;
  for (int i = 0; i < s->prog_cnt; i++) {
    if (prog_name != s->progs[i].name || !*s->progs[i].link) continue;
    bpf_link__destroy(*s->progs[i].link);
    *s->progs[i].link = bpf_program__attach(*s->progs[i].prog);
    if (!*s->progs[i].link) {
      *s->progs[i].link = nullptr;
      return false;
    }
    return true;
  }
  return false;
}

void BpfTracer::set_zone_ranges(const std::vector<ZoneInfo>& zones) {
  auto& cfg = impl_->skel->bss->alloc_cfg;
  // A zone's slot is its position in the range table and never changes: the
  // counters are cumulative. Zones seen for the first time take the next free
  // slots in the order the kernel's zonelists try them, highest zone first
  // (Movable, Normal, DMA32, DMA), the biggest first among zones of one type,
  // so the first call puts the zone most allocations come from at slot 0,
  // which the handler tests before its loop. (Not simply the biggest: a
  // machine's DMA32 can manage more pages than its Normal zone and still
  // serve none while Normal has free pages.)
  std::vector<const ZoneInfo*> fresh;
  for (const auto& z : zones) {
    if (!z.populated() || !z.has_start_pfn) continue;
    if (std::find(impl_->slots.begin(), impl_->slots.end(), std::make_pair(z.nid, z.zid)) ==
        impl_->slots.end())
      fresh.push_back(&z);
  }
  std::stable_sort(fresh.begin(), fresh.end(), [](auto* a, auto* b) {
    return a->zid != b->zid ? a->zid > b->zid : a->managed > b->managed;
  });
  for (const ZoneInfo* z : fresh) {
    // the unknown slot's position holds no zone
    if (impl_->slots.size() == KST_ALLOC_ZONE_UNKNOWN) impl_->slots.emplace_back(-1, -1);
    if (impl_->slots.size() < KST_ALLOC_ZONE_SLOTS) impl_->slots.emplace_back(z->nid, z->zid);
  }

  // the handler searches nothing while the table is rewritten (those pages count as zone unknown)
  __atomic_store_n(&cfg.nr_ranges, 0u, __ATOMIC_RELEASE);
  for (size_t slot = 0; slot < impl_->slots.size(); slot++) {
    auto& r = cfg.ranges[slot];
    r.start_pfn = 0;
    r.nr_pages = 0;  // a zone no longer listed (or depopulated) matches nothing
    for (const auto& z : zones) {
      if (std::make_pair(z.nid, z.zid) != impl_->slots[slot] || !z.populated() || !z.has_start_pfn) continue;
      r.start_pfn = z.start_pfn;
      r.nr_pages = static_cast<__u32>(std::min<uint64_t>(z.spanned, UINT32_MAX));
    }
  }
  __atomic_store_n(&cfg.nr_ranges, static_cast<__u32>(impl_->slots.size()), __ATOMIC_RELEASE);
}

AllocCounters BpfTracer::alloc_counters() const {
  AllocCounters out;
  // sum the CPUs' rows: one lookup per map returns every CPU's row
  std::vector<__u64> sum(KST_ALLOC_KEYS, 0);
  std::vector<kst_alloc_row> rows(static_cast<size_t>(impl_->ncpus));
  const bpf_map* maps[2] = {impl_->skel->maps.alloc_counts, impl_->skel->maps.alloc_counts_hi};
  for (size_t m = 0; m < 2; m++) {
    const __u32 zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(maps[m]), &zero, rows.data())) continue;
    for (const auto& row : rows)
      for (size_t k = 0; k < KST_ALLOC_ROW_KEYS; k++) sum[m * KST_ALLOC_ROW_KEYS + k] += row.count[k];
  }
  for (__u32 slot = 0; slot < KST_ALLOC_ZONE_SLOTS; slot++) {
    int32_t nid = -1, zid = -1;
    if (slot < impl_->slots.size()) std::tie(nid, zid) = impl_->slots[slot];
    for (__u32 order = 0; order < KST_ALLOC_ORDERS; order++)
      for (__u32 mt = 0; mt < KST_ALLOC_MIGRATETYPES; mt++)
        for (__u32 cls = 0; cls < KST_ALLOC_GFP_CLASSES; cls++) {
          const __u64 n = sum[kst_alloc_index(slot, order, mt, cls)];
          if (n) out.cells.push_back({nid, zid, (uint8_t)order, (uint8_t)mt, (uint8_t)cls, n});
        }
  }
  return out;
}

ReclaimCounters BpfTracer::reclaim_counters() const {
  ReclaimCounters out;
  const int fd = bpf_map__fd(impl_->skel->maps.shrink_stats);
  std::vector<kst_shrink_stat> vals(impl_->ncpus);
  for (__u32 nid = 0; nid < KST_MAX_NODES; nid++) {
    ReclaimCounters::Node n;
    n.nid = (int32_t)nid;
    bool any = false;
    for (__u32 kind = 0; kind < KST_SHRINK_KINDS; kind++) {
      __u32 key = nid * KST_SHRINK_KINDS + kind;
      if (bpf_map_lookup_elem(fd, &key, vals.data())) continue;
      ShrinkStat& s = kind == KST_SHRINK_KSWAPD ? n.kswapd : n.other;
      for (const auto& v : vals) {
        s.calls += v.calls;
        s.scanned += v.scanned;
        s.reclaimed += v.reclaimed;
      }
      any = any || s.calls;
    }
    if (any || nid == 0) out.nodes.push_back(n);
  }
  return out;
}

ProbeCounters BpfTracer::probe_counters() const {
  ProbeCounters out;
  const int fd = bpf_map__fd(impl_->skel->maps.counters);
  std::vector<__u64> vals(impl_->ncpus);
  auto sum = [&](__u32 key) {
    __u64 s = 0;
    if (bpf_map_lookup_elem(fd, &key, vals.data()) == 0)
      for (__u64 v : vals) s += v;
    return s;
  };
  out.ringbuf_drops = sum(KST_CNT_RINGBUF_DROPS);
  out.reclaim_unpaired = sum(KST_CNT_DR_UNPAIRED);
  return out;
}

}  // namespace kst
