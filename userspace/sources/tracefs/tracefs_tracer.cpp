#include "sources/tracefs/tracefs_tracer.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "alloc_abi.h"
#include "sources/procfs/procfs.h"
#include "sources/tracefs/tracefs_files.h"

extern "C" {
#include <traceevent/event-parse.h>
#include <traceevent/kbuffer.h>
}

namespace kst {
namespace {

enum Kind { KWake, KSleep, KWakeup, DrBegin, DrEnd, McgBegin, McgEnd, Shrink, PageAlloc, NKinds };

struct EventSpec {
  const char* sys;
  const char* name;
  bool required;
  std::vector<const char*> fields;  // read in this order into Rec::v[]
};

// The fields each event contributes. Older kernels lack some (kswapd_wake's
// zid came in 4.8): a missing optional field reads as -1.
const EventSpec kSpecs[NKinds] = {
    {"vmscan", "mm_vmscan_kswapd_wake", true, {"nid", "zid", "order"}},
    {"vmscan", "mm_vmscan_kswapd_sleep", true, {"nid"}},
    {"vmscan", "mm_vmscan_wakeup_kswapd", false, {"nid", "zid", "order", "gfp_flags"}},
    {"vmscan", "mm_vmscan_direct_reclaim_begin", true, {"order", "gfp_flags"}},
    {"vmscan", "mm_vmscan_direct_reclaim_end", true, {"nr_reclaimed"}},
    {"vmscan", "mm_vmscan_memcg_reclaim_begin", false, {"order", "gfp_flags"}},
    {"vmscan", "mm_vmscan_memcg_reclaim_end", false, {"nr_reclaimed"}},
    {"vmscan", "mm_vmscan_lru_shrink_inactive", false, {"nid", "nr_scanned", "nr_reclaimed"}},
    {"kmem", "mm_page_alloc", true, {"pfn", "order", "migratetype", "gfp_flags"}},
};

struct Rec {
  uint64_t ts;
  Kind kind;
  int32_t pid;
  int64_t v[4];
};

struct Start {
  TimeNs ts;
  int32_t order;
  uint64_t gfp;
  bool memcg;
};

struct OrphanEnd {
  Rec rec;
  int age;
};

std::string read_comm(int32_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string s;
  std::getline(f, s);
  return s;
}

int64_t read_field(tep_handle* tep, const tep_format_field* f, const void* data) {
  const uint64_t raw = tep_read_number(tep, static_cast<const char*>(data) + f->offset, f->size);
  if (!(f->flags & TEP_FIELD_IS_SIGNED)) return static_cast<int64_t>(raw);
  switch (f->size) {  // sign-extend what the record holds
    case 1: return static_cast<int8_t>(raw);
    case 2: return static_cast<int16_t>(raw);
    case 4: return static_cast<int32_t>(raw);
    default: return static_cast<int64_t>(raw);
  }
}

}  // namespace

TracefsAlloc parse_tracefs_alloc(const std::string& s) {
  if (s == "hist") return TracefsAlloc::Hist;
  if (s == "stream") return TracefsAlloc::Stream;
  if (s == "off") return TracefsAlloc::Off;
  return TracefsAlloc::Auto;
}

TracefsPlan plan_tracefs(FeatureProbe& probe) {
  TracefsPlan p;
  if (!probe.tracefs().ok) {
    p.detail = probe.tracefs().detail;
    return p;
  }
  const std::string dir = probe.tracefs().detail;
  if (access((dir + "/instances").c_str(), W_OK) != 0) {
    p.detail = dir + "/instances is not writable (" + strerror(errno) + "): kswaptrace needs root";
    return p;
  }
  for (const EventSpec& s : kSpecs) {
    if (s.required && !probe.tracepoint_in_tracefs(s.sys, s.name)) {
      p.detail = std::string("this kernel has no ") + s.sys + ":" + s.name + " tracepoint";
      return p;
    }
  }
  p.ok = true;
  p.detail = dir;
  p.hist = access((dir + "/events/kmem/mm_page_alloc/hist").c_str(), F_OK) == 0;
  return p;
}

std::vector<std::string> remove_stale_instances(const std::string& tracing_dir) {
  std::vector<std::string> removed;
  const std::string base = tracing_dir + "/instances";
  DIR* d = opendir(base.c_str());
  if (!d) return removed;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  for (const std::string& n : names) {
    int pid = 0;
    if (!instance_owner(n, &pid)) continue;
    // our own pid: a killed run whose pid we inherited
    if (pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)) continue;
    if (destroy_instance_dir(base + "/" + n)) removed.push_back(n);
  }
  return removed;
}

struct TracefsTracer::Impl {
  std::string tracing_dir, inst_dir;
  tep_handle* tep = nullptr;
  kbuffer* kbuf = nullptr;
  std::vector<int> cpu_fds;
  std::vector<char> page;
  int type_field_off = 0, type_field_size = 2;
  std::map<int, Kind> kinds;  // event id -> kind
  const tep_format_field* fields[NKinds][4] = {};
  const tep_format_field* pid_field[NKinds] = {};
  std::vector<Rec> batch;

  // reclaim episodes and aggregates (what the BPF programs keep in maps)
  std::map<int32_t, Start> starts;
  std::map<int32_t, OrphanEnd> orphans;
  std::set<int32_t> kswapd_pids;
  std::map<int32_t, ReclaimCounters::Node> shrink;
  uint64_t unpaired = 0, missed_pages = 0;

  // page allocations, streamed: zone slots like the BPF source's
  bool alloc_stream = false;
  std::vector<std::pair<int32_t, int32_t>> slots;     // slot -> (nid, zid)
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // slot -> [start, start + spanned)
  std::vector<uint64_t> alloc;                        // kst_alloc_index(slot, order, mt, cls)
  uint32_t direct_reclaim_bit = KST_GFP_USUAL_DIRECT_RECLAIM_BIT, movable_bit = KST_GFP_USUAL_MOVABLE_BIT;

  ~Impl() {
    for (int fd : cpu_fds) close(fd);
    if (kbuf) kbuffer_free(kbuf);
    if (tep) tep_free(tep);
    if (!inst_dir.empty()) destroy_instance_dir(inst_dir);
  }

  void setup_instance(const TracefsOptions& opts, SourceInfo& info);
  void load_formats(SourceInfo& info);
  void open_cpus();
  int read_cpus(const EventSink& sink);
  void decode_page(int cpu);
  void count_alloc(const void* data);
  void process(const EventSink& sink);
  void on_end(const Rec& r, const Start& s, const EventSink& sink);
  uint32_t gfp_class(uint64_t gfp) const {
    return ((gfp >> direct_reclaim_bit) & 1) | (((gfp >> movable_bit) & 1) << 1);
  }
};

void TracefsTracer::Impl::setup_instance(const TracefsOptions& opts, SourceInfo& info) {
  for (const std::string& n : remove_stale_instances(tracing_dir))
    info.degraded.push_back("removed the trace instance " + n + " left by a killed kswaptrace");
  const std::string name = "kswaptrace-" + std::to_string(getpid());
  const std::string dir = tracing_dir + "/instances/" + name;
  if (mkdir(dir.c_str(), 0755) != 0)
    throw TraceError("cannot create the trace instance " + dir + ": " + strerror(errno));
  inst_dir = dir;
  // mono: the clock of CLOCK_MONOTONIC, which the /proc samples are stamped with
  write_instance_file(inst_dir, "trace_clock", "mono");
  // no overwrite: a full buffer drops new records and counts them (per_cpu/cpuN/stats)
  write_instance_file(inst_dir, "options/overwrite", "0");
  write_instance_file(inst_dir, "buffer_size_kb", std::to_string(opts.buffer_kb));
  for (int k = 0; k < NKinds; k++) {
    const EventSpec& s = kSpecs[k];
    if (k == PageAlloc && !alloc_stream) {
      info.attach[s.name] = "missing";
      continue;
    }
    const std::string full = std::string(s.sys) + ":" + s.name;
    if (!write_instance_file(inst_dir, std::string("events/") + s.sys + "/" + s.name + "/enable", "1",
                             false)) {
      if (s.required) throw TraceError("cannot enable " + full + " in " + inst_dir);
      info.attach[s.name] = "missing";
      info.degraded.push_back(full + " not traced: this kernel has no such tracepoint");
      continue;
    }
    info.attach[s.name] = "tracefs";
  }
}

void TracefsTracer::Impl::load_formats(SourceInfo& info) {
  // Only the header page and our own events' format files. libtracefs's
  // tracefs_local_events_system() would also load /proc/kallsyms,
  // printk_formats and saved_cmdlines for printing, which we never do: that
  // is most of the start-up time (20 s under ASan, whose realloc copies).
  tep = tep_alloc();
  if (!tep) throw TraceError("out of memory allocating the event parser");
  tep_set_file_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
  tep_set_local_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
  tep_set_long_size(tep, sizeof(long));
  tep_set_page_size(tep, getpagesize());
  std::optional<std::string> header = read_text_file(tracing_dir + "/events/header_page");
  if (!header || tep_parse_header_page(tep, header->data(), header->size(), sizeof(long)) != 0)
    throw TraceError("cannot read " + tracing_dir + "/events/header_page");
  for (const EventSpec& s : kSpecs) {
    std::optional<std::string> fmt =
        read_text_file(tracing_dir + "/events/" + s.sys + "/" + s.name + "/format");
    if (!fmt) continue;  // an optional event this kernel lacks (setup_instance said so)
    if (tep_parse_event(tep, fmt->data(), fmt->size(), s.sys) != TEP_ERRNO__SUCCESS)
      throw TraceError(std::string("cannot parse the format of ") + s.sys + ":" + s.name);
  }
  kbuf = tep_kbuffer(tep);
  if (!kbuf) throw TraceError("cannot set up the ring-buffer page reader");
  for (int k = 0; k < NKinds; k++) {
    tep_event* ev = tep_find_event_by_name(tep, kSpecs[k].sys, kSpecs[k].name);
    if (!ev) continue;
    kinds[ev->id] = static_cast<Kind>(k);
    pid_field[k] = tep_find_common_field(ev, "common_pid");
    const tep_format_field* type = tep_find_common_field(ev, "common_type");
    if (type) {
      type_field_off = type->offset;
      type_field_size = type->size;
    }
    for (size_t i = 0; i < kSpecs[k].fields.size(); i++) {
      fields[k][i] = tep_find_field(ev, kSpecs[k].fields[i]);
      if (!fields[k][i] && kSpecs[k].required && !(k == KWake && i == 1))
        throw TraceError(std::string("the format of ") + kSpecs[k].sys + ":" + kSpecs[k].name + " lacks " +
                         kSpecs[k].fields[i]);
    }
  }
  if (!fields[KWake][1]) info.degraded.push_back("vmscan:mm_vmscan_kswapd_wake has no zid on this kernel");
}

void TracefsTracer::Impl::open_cpus() {
  const long ncpu = sysconf(_SC_NPROCESSORS_CONF);
  for (long c = 0; c < ncpu; c++) {
    const std::string p = inst_dir + "/per_cpu/cpu" + std::to_string(c) + "/trace_pipe_raw";
    int fd = open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // a possible CPU the kernel has no buffer for
      throw TraceError("cannot open " + p + ": " + strerror(errno));
    }
    cpu_fds.push_back(fd);
  }
  if (cpu_fds.empty()) throw TraceError("no per-CPU trace_pipe_raw under " + inst_dir);
  long sub = read_instance_number(inst_dir, "buffer_subbuf_size_kb", 0) * 1024;  // 6.8+
  page.resize(static_cast<size_t>(sub > 0 ? sub : getpagesize()));
}

void TracefsTracer::Impl::count_alloc(const void* data) {
  const tep_format_field* const* f = fields[PageAlloc];
  const uint64_t pfn = tep_read_number(tep, static_cast<const char*>(data) + f[0]->offset, f[0]->size);
  const uint64_t none = f[0]->size >= 8 ? ~0ull : (1ull << (8 * f[0]->size)) - 1;
  if (pfn == none) return;  // the allocation failed: no page handed out (as the BPF handler)
  uint32_t slot = KST_ALLOC_ZONE_UNKNOWN;
  for (size_t i = 0; i < ranges.size(); i++) {
    if (pfn - ranges[i].first < ranges[i].second - ranges[i].first) {
      slot = static_cast<uint32_t>(i);
      break;
    }
  }
  const uint32_t order = static_cast<uint32_t>(read_field(tep, f[1], data)) & (KST_ALLOC_ORDERS - 1);
  const uint32_t mt = static_cast<uint32_t>(read_field(tep, f[2], data)) & (KST_ALLOC_MIGRATETYPES - 1);
  const uint64_t gfp = static_cast<uint64_t>(read_field(tep, f[3], data));
  alloc[kst_alloc_index(slot, order, mt, gfp_class(gfp))]++;
}

void TracefsTracer::Impl::decode_page(int /*cpu*/) {
  if (kbuffer_load_subbuffer(kbuf, page.data()) < 0) return;
  const int missed = kbuffer_missed_events(kbuf);
  if (missed > 0) missed_pages += static_cast<uint64_t>(missed);
  unsigned long long ts = 0;
  for (void* data = kbuffer_read_event(kbuf, &ts); data; data = kbuffer_next_event(kbuf, &ts)) {
    const int id =
        static_cast<int>(tep_read_number(tep, static_cast<char*>(data) + type_field_off, type_field_size));
    auto it = kinds.find(id);
    if (it == kinds.end()) continue;
    const Kind k = it->second;
    if (k == PageAlloc) {
      count_alloc(data);
      continue;
    }
    Rec r{ts, k, 0, {-1, -1, -1, -1}};
    if (pid_field[k]) r.pid = static_cast<int32_t>(read_field(tep, pid_field[k], data));
    for (size_t i = 0; i < kSpecs[k].fields.size(); i++)
      if (fields[k][i]) r.v[i] = read_field(tep, fields[k][i], data);
    batch.push_back(r);
  }
}

int TracefsTracer::Impl::read_cpus(const EventSink& sink) {
  size_t pages = 0;
  for (size_t c = 0; c < cpu_fds.size(); c++) {
    // bounded: a CPU that fills pages as fast as we read must not starve the others
    for (int n = 0; n < 4096; n++) {
      const ssize_t got = read(cpu_fds[c], page.data(), page.size());
      if (got <= 0) break;
      decode_page(static_cast<int>(c));
      pages++;
    }
  }
  const int n = static_cast<int>(batch.size());
  process(sink);
  return n;
}

void TracefsTracer::Impl::on_end(const Rec& r, const Start& s, const EventSink& sink) {
  DirectReclaim d;
  d.pid = static_cast<uint32_t>(r.pid);
  d.comm = read_comm(r.pid);
  d.order = s.order;
  d.gfp = s.gfp;
  d.begin_ns = s.ts;
  d.end_ns = r.ts;
  d.nr_reclaimed = static_cast<uint64_t>(r.v[0]);
  d.memcg = s.memcg;
  sink(Event{r.ts, std::move(d)});
}

// Records of one read, merged across CPUs by time: a task that began reclaim
// on one CPU can end it on another. An end read before its begin (the begin's
// CPU was read earlier in the pass) waits one more pass for it.
void TracefsTracer::Impl::process(const EventSink& sink) {
  std::stable_sort(batch.begin(), batch.end(), [](const Rec& a, const Rec& b) { return a.ts < b.ts; });
  for (const Rec& r : batch) {
    switch (r.kind) {
      case KWake: sink(Event{r.ts, KswapdWake{(int32_t)r.v[0], (int32_t)r.v[1], (int32_t)r.v[2]}}); break;
      case KSleep: sink(Event{r.ts, KswapdSleep{(int32_t)r.v[0]}}); break;
      case KWakeup:
        sink(Event{r.ts, WakeupKswapd{(int32_t)r.v[0], (int32_t)r.v[1], (int32_t)r.v[2], (uint64_t)r.v[3],
                                      (uint32_t)r.pid, read_comm(r.pid)}});
        break;
      case DrBegin:
      case McgBegin: {
        const Start s{r.ts, (int32_t)r.v[0], (uint64_t)r.v[1], r.kind == McgBegin};
        auto o = orphans.find(r.pid);
        if (o != orphans.end() && o->second.rec.ts >= r.ts) {
          on_end(o->second.rec, s, sink);
          orphans.erase(o);
        } else {
          starts[r.pid] = s;
        }
        break;
      }
      case DrEnd:
      case McgEnd: {
        auto it = starts.find(r.pid);
        if (it == starts.end()) {
          orphans[r.pid] = OrphanEnd{r, 0};
          break;
        }
        on_end(r, it->second, sink);
        starts.erase(it);
        break;
      }
      case Shrink: {
        auto& n = shrink[(int32_t)r.v[0]];
        n.nid = (int32_t)r.v[0];
        ShrinkStat& st = kswapd_pids.count(r.pid) ? n.kswapd : n.other;
        st.calls++;
        st.scanned += (uint64_t)r.v[1];
        st.reclaimed += (uint64_t)r.v[2];
        break;
      }
      default: break;
    }
  }
  batch.clear();
  // began before we enabled the events (the BPF source counts these the same way)
  for (auto it = orphans.begin(); it != orphans.end();) {
    if (it->second.age++ >= 1) {
      unpaired++;
      it = orphans.erase(it);
    } else {
      ++it;
    }
  }
}

TracefsTracer::TracefsTracer(const TracefsOptions& opts, FeatureProbe& probe, SourceInfo& info,
                             const std::vector<ZoneInfo>& zones)
    : impl_(std::make_unique<Impl>()) {
  if (!probe.is_root()) throw TraceError("the tracefs backend needs root: run kswaptrace with sudo");
  const TracefsPlan plan = plan_tracefs(probe);
  if (!plan.ok) throw TraceError(plan.detail);
  Impl& m = *impl_;
  m.tracing_dir = plan.detail;
  info.backend = "tracefs";
  if (opts.alloc == TracefsAlloc::Hist)
    throw TraceError("--tracefs-alloc hist is not implemented yet: use stream or off");
  m.alloc_stream = opts.alloc != TracefsAlloc::Off;
  if (!m.alloc_stream) {
    info.degraded.push_back("kmem:mm_page_alloc not counted (--tracefs-alloc off)");
  }
  if (auto v = probe.btf().ok ? probe.btf_enum_value("___GFP_DIRECT_RECLAIM_BIT") : std::nullopt)
    m.direct_reclaim_bit = static_cast<uint32_t>(*v & 63);
  else if (auto bit = gfp_bit_from_format(m.tracing_dir, "__GFP_DIRECT_RECLAIM"))
    m.direct_reclaim_bit = *bit;
  else
    info.degraded.push_back("gfp bit layout unknown: assuming __GFP_DIRECT_RECLAIM=0x400 (4.20+ layout)");
  if (auto v = probe.btf().ok ? probe.btf_enum_value("___GFP_MOVABLE_BIT") : std::nullopt)
    m.movable_bit = static_cast<uint32_t>(*v & 63);
  else if (auto bit = gfp_bit_from_format(m.tracing_dir, "__GFP_MOVABLE"))
    m.movable_bit = *bit;
  m.alloc.assign(KST_ALLOC_KEYS, 0);
  set_zone_ranges(zones);
  m.load_formats(info);
  m.setup_instance(opts, info);
  m.open_cpus();
}

TracefsTracer::~TracefsTracer() = default;

const std::string& TracefsTracer::instance_dir() const { return impl_->inst_dir; }

int TracefsTracer::poll(int timeout_ms, const EventSink& sink) {
  std::vector<pollfd> pfds;
  for (int fd : impl_->cpu_fds) pfds.push_back({fd, POLLIN, 0});
  const int r = ::poll(pfds.data(), pfds.size(), timeout_ms);
  if (r < 0 && errno != EINTR)
    throw TraceError(std::string("poll of trace_pipe_raw failed: ") + strerror(errno));
  if (r < 0) return 0;
  return impl_->read_cpus(sink);
}

int TracefsTracer::drain(const EventSink& sink) { return impl_->read_cpus(sink); }

void TracefsTracer::set_kswapd_pids(const std::vector<int32_t>& pids) {
  impl_->kswapd_pids = std::set<int32_t>(pids.begin(), pids.end());
}

void TracefsTracer::set_zone_ranges(const std::vector<ZoneInfo>& zones) {
  Impl& m = *impl_;
  // slots keep their zone for good (the counters are cumulative), as in the BPF source
  for (const auto& z : zones) {
    if (!z.populated() || !z.has_start_pfn) continue;
    if (std::find(m.slots.begin(), m.slots.end(), std::make_pair(z.nid, z.zid)) != m.slots.end()) continue;
    if (m.slots.size() == KST_ALLOC_ZONE_UNKNOWN) m.slots.emplace_back(-1, -1);
    if (m.slots.size() < KST_ALLOC_ZONE_SLOTS) m.slots.emplace_back(z.nid, z.zid);
  }
  m.ranges.assign(m.slots.size(), {0, 0});
  for (size_t slot = 0; slot < m.slots.size(); slot++)
    for (const auto& z : zones)
      if (std::make_pair(z.nid, z.zid) == m.slots[slot] && z.populated() && z.has_start_pfn)
        m.ranges[slot] = {z.start_pfn, z.start_pfn + z.spanned};
}

AllocCounters TracefsTracer::alloc_counters() const {
  const Impl& m = *impl_;
  AllocCounters out;
  for (uint32_t slot = 0; slot < KST_ALLOC_ZONE_SLOTS; slot++) {
    int32_t nid = -1, zid = -1;
    if (slot < m.slots.size()) std::tie(nid, zid) = m.slots[slot];
    for (uint32_t order = 0; order < KST_ALLOC_ORDERS; order++)
      for (uint32_t mt = 0; mt < KST_ALLOC_MIGRATETYPES; mt++)
        for (uint32_t cls = 0; cls < KST_ALLOC_GFP_CLASSES; cls++) {
          const uint64_t n = m.alloc[kst_alloc_index(slot, order, mt, cls)];
          if (n) out.cells.push_back({nid, zid, (uint8_t)order, (uint8_t)mt, (uint8_t)cls, n});
        }
  }
  return out;
}

ReclaimCounters TracefsTracer::reclaim_counters() const {
  ReclaimCounters out;
  for (const auto& [nid, n] : impl_->shrink) out.nodes.push_back(n);
  if (out.nodes.empty()) out.nodes.push_back(ReclaimCounters::Node{});
  return out;
}

ProbeCounters TracefsTracer::probe_counters() const {
  ProbeCounters out;
  // records the kernel could not store (buffer full) or that were overwritten
  out.ringbuf_drops = instance_lost_events(impl_->inst_dir);
  out.reclaim_unpaired = impl_->unpaired;
  return out;
}

}  // namespace kst
