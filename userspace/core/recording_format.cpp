#include "core/recording_format.h"

#include <zlib.h>
#include <zstd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "core/untrusted_text.h"

namespace kst::rec {
namespace {

// ---- little-endian primitives ------------------------------------------

class Enc {
 public:
  explicit Enc(std::string& out) : out_(out) {}
  template <typename T>
  void num(T v) {
    static_assert(std::is_integral_v<T>);
    using U = std::make_unsigned_t<T>;
    U u = static_cast<U>(v);
    for (size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  void boolean(bool b) { num<uint8_t>(b ? 1 : 0); }
  void str(std::string_view s) {
    num<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void u64s(const std::vector<uint64_t>& v) {
    num<uint32_t>(static_cast<uint32_t>(v.size()));
    for (uint64_t x : v) num(x);
  }
  void counters(const std::map<std::string, uint64_t>& m) {
    num<uint32_t>(static_cast<uint32_t>(m.size()));
    for (const auto& [k, v] : m) {
      str(k);
      num(v);
    }
  }

 private:
  std::string& out_;
};

class Dec {
 public:
  explicit Dec(std::string_view in) : p_(in) {}
  template <typename T>
  T num() {
    static_assert(std::is_integral_v<T>);
    need(sizeof(T));
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) u |= static_cast<U>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_.remove_prefix(sizeof(T));
    return static_cast<T>(u);
  }
  bool boolean() { return num<uint8_t>() != 0; }
  std::string str() {
    const uint32_t n = num<uint32_t>();
    need(n);
    std::string s(p_.substr(0, n));
    p_.remove_prefix(n);
    return s;
  }
  std::vector<uint64_t> u64s() {
    const uint32_t n = num<uint32_t>();
    need(static_cast<size_t>(n) * 8);
    std::vector<uint64_t> v(n);
    for (auto& x : v) x = num<uint64_t>();
    return v;
  }
  std::map<std::string, uint64_t> counters() {
    const uint32_t n = num<uint32_t>();
    need(static_cast<size_t>(n) * 12);
    std::map<std::string, uint64_t> m;
    for (uint32_t i = 0; i < n; ++i) {
      std::string k = str();
      m[std::move(k)] = num<uint64_t>();
    }
    return m;
  }
  // Count of a vector whose elements take at least `min_each` bytes.
  uint32_t count(size_t min_each) {
    const uint32_t n = num<uint32_t>();
    need(static_cast<size_t>(n) * min_each);
    return n;
  }
  // An allocation order. The kernel never has one above MAX_PAGE_ORDER (10 on
  // x86; ARCH_FORCE_MAX_ORDER stays below 20 on every architecture); a larger
  // value is damage, and would make `calls << order` undefined in the
  // summaries. -1 is kept: compaction's "whole zone" order (cc->order).
  template <typename T>
  T order() {
    const T v = num<T>();
    if (static_cast<int64_t>(v) < -1 || static_cast<int64_t>(v) > kMaxPageOrder)
      throw FormatError("allocation order " + std::to_string(static_cast<int64_t>(v)) + " out of range");
    return v;
  }
  size_t remaining() const { return p_.size(); }

 private:
  void need(size_t n) const {
    if (p_.size() < n) throw FormatError("record body ends early");
  }
  std::string_view p_;
};

// ---- tags: one per Event alternative; a missing one fails to compile ----

template <typename T>
struct RecordTag {
  static_assert(sizeof(T) == 0, "every Event alternative needs a record tag (core/recording_format.cpp)");
};
#define KST_TAG(T, V)                    \
  template <>                            \
  struct RecordTag<T> {                  \
    static constexpr uint16_t value = V; \
  };
KST_TAG(KswapdWake, 0x0001)
KST_TAG(KswapdSleep, 0x0002)
KST_TAG(WakeupKswapd, 0x0003)
KST_TAG(DirectReclaim, 0x0004)
KST_TAG(ReclaimCounters, 0x0100)
KST_TAG(AllocCounters, 0x0101)
KST_TAG(ProbeCounters, 0x0102)
KST_TAG(VmstatSample, 0x0103)
KST_TAG(ZoneSample, 0x0104)
KST_TAG(KswapdCpuSample, 0x0105)
KST_TAG(MemoryBlockEvent, 0x0200)
KST_TAG(BalloonSample, 0x0201)
KST_TAG(HotplugCall, 0x0202)
KST_TAG(VerdictChange, 0x0300)
#undef KST_TAG

// Guard against silently dropping a field: when an event struct changes,
// these fire and point here. Fields are only ever appended (minor version).
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(KswapdWake) == 12 && sizeof(KswapdSleep) == 4, "update the KswapdWake/Sleep codec");
static_assert(sizeof(WakeupKswapd) == 64, "update the WakeupKswapd codec");
static_assert(sizeof(DirectReclaim) == 128, "update the DirectReclaim codec");
static_assert(sizeof(ReclaimCounters::Node) == 56, "update the ReclaimCounters codec");
static_assert(sizeof(AllocCell) == 24, "update the AllocCounters codec");
static_assert(sizeof(ProbeCounters) == 16, "update the ProbeCounters codec");
static_assert(sizeof(ZoneInfo) == 224, "update the ZoneInfo codec");
static_assert(sizeof(ZoneSample) == 32, "update the ZoneSample codec");
static_assert(sizeof(KswapdCpuSample::Thread) == 16, "update the KswapdCpuSample codec");
static_assert(sizeof(MemoryBlockEvent) == 152, "update the MemoryBlockEvent codec");
static_assert(sizeof(BalloonSample) == 32, "update the BalloonSample codec");
static_assert(sizeof(HotplugCall) == 176, "update the HotplugCall codec");
static_assert(sizeof(Verdict) == 200 && sizeof(VerdictChange) == 208, "update the VerdictChange codec");
static_assert(sizeof(SourceInfo) == 192, "SourceInfo changed: update encode_header/decode_header");
#endif

// ---- bodies --------------------------------------------------------------

void put(Enc& e, const KswapdWake& x) {
  e.num(x.nid);
  e.num(x.zid);
  e.num(x.order);
}
void put(Enc& e, const KswapdSleep& x) { e.num(x.nid); }
void put(Enc& e, const WakeupKswapd& x) {
  e.num(x.nid);
  e.num(x.zid);
  e.num(x.order);
  e.num(x.gfp);
  e.num(x.pid);
  e.str(x.comm);
}
void put(Enc& e, const DirectReclaim& x) {
  e.num(x.pid);
  e.str(x.comm);
  e.num(x.order);
  e.num(x.gfp);
  e.num(x.begin_ns);
  e.num(x.end_ns);
  e.num(x.nr_reclaimed);
  e.boolean(x.memcg);
  e.num(x.cgroup_id);  // 1.3
  e.str(x.cgroup);     // 1.3
}
void put(Enc& e, const ShrinkStat& s) {
  e.num(s.calls);
  e.num(s.scanned);
  e.num(s.reclaimed);
}
void put(Enc& e, const ReclaimCounters& x) {
  e.num<uint32_t>(static_cast<uint32_t>(x.nodes.size()));
  for (const auto& n : x.nodes) {
    e.num(n.nid);
    put(e, n.kswapd);
    put(e, n.other);
  }
}
void put(Enc& e, const AllocCounters& x) {
  e.num<uint32_t>(static_cast<uint32_t>(x.cells.size()));
  for (const auto& c : x.cells) {
    e.num(c.nid);
    e.num(c.zid);
    e.num(c.order);
    e.num(c.migratetype);
    e.num(c.gfp_class);
    e.num(c.calls);
  }
}
void put(Enc& e, const ProbeCounters& x) {
  e.num(x.ringbuf_drops);
  e.num(x.reclaim_unpaired);
}
void put(Enc& e, const VmstatSample& x) { e.counters(x.counters); }
void put(Enc& e, const ZoneInfo& z) {
  e.num(z.nid);
  e.num(z.zid);
  e.str(z.name);
  e.num(z.free);
  e.num(z.boost);
  e.num(z.min);
  e.num(z.low);
  e.num(z.high);
  e.num(z.spanned);
  e.num(z.present);
  e.num(z.managed);
  e.num(z.start_pfn);
  e.boolean(z.has_start_pfn);
  e.u64s(z.protection);
  e.boolean(z.node_unreclaimable);
  e.counters(z.stats);
  e.u64s(z.free_blocks);
}
void put(Enc& e, const ZoneSample& x) {
  e.num<uint32_t>(static_cast<uint32_t>(x.zones.size()));
  for (const auto& z : x.zones) put(e, z);
  e.num(x.min_free_kbytes);
}
void put(Enc& e, const KswapdCpuSample& x) {
  e.num<uint32_t>(static_cast<uint32_t>(x.threads.size()));
  for (const auto& t : x.threads) {
    e.num(t.nid);
    e.num(t.pid);
    e.num(t.cpu_ns);
  }
}

void put(Enc& e, const MemoryBlockEvent& x) {
  e.str(x.action);
  e.num(x.block);
  e.num(x.block_size);
  e.str(x.phys_index);
  e.str(x.state);
  e.str(x.valid_zones);
  e.num(x.seqnum);
}
void put(Enc& e, const BalloonSample& x) {
  e.num(x.target_kb);
  e.num(x.current_kb);
  e.num(x.low_kb);
  e.num(x.high_kb);
}
void put(Enc& e, const HotplugCall& x) {
  e.num(static_cast<uint8_t>(x.kind));
  e.str(x.via);
  e.num(x.nid);
  e.num(x.zid);
  e.str(x.zone);
  e.str(x.upper_zone);
  e.num(x.start_pfn);
  e.num(x.nr_pages);
  e.num(x.min);
  e.num(x.low);
  e.num(x.high);
  e.num(x.managed);
  e.num(x.present);
  e.num(x.lowmem_reserve);
}

void put(Enc& e, const VerdictChange& x) {
  const Verdict& v = x.verdict;
  e.boolean(x.raised);
  e.str(v.kind);
  e.str(v.severity);
  e.boolean(v.alert);
  e.boolean(v.pending);
  e.num(v.nid);
  e.num(v.since);
  e.num(v.raised);
  e.str(v.message);
  e.str(v.advice);
  e.num<uint32_t>(static_cast<uint32_t>(v.evidence.size()));
  for (const auto& [k, val] : v.evidence) {
    e.str(k);
    e.num(std::bit_cast<uint64_t>(val));  // IEEE-754 binary64, little-endian
  }
}

template <typename T>
T get(Dec& d);

template <>
VerdictChange get(Dec& d) {
  VerdictChange x;
  Verdict& v = x.verdict;
  x.raised = d.boolean();
  v.kind = d.str();
  v.severity = d.str();
  v.alert = d.boolean();
  v.pending = d.boolean();
  v.nid = d.num<int32_t>();
  v.since = d.num<uint64_t>();
  v.raised = d.num<uint64_t>();
  v.message = d.str();
  v.advice = d.str();
  const uint32_t n = d.count(12);
  for (uint32_t i = 0; i < n; ++i) {
    std::string k = d.str();
    v.evidence[std::move(k)] = std::bit_cast<double>(d.num<uint64_t>());
  }
  return x;
}

template <>
MemoryBlockEvent get(Dec& d) {
  MemoryBlockEvent x;
  x.action = d.str();
  x.block = d.num<uint64_t>();
  x.block_size = d.num<uint64_t>();
  x.phys_index = d.str();
  x.state = d.str();
  x.valid_zones = d.str();
  x.seqnum = d.num<uint64_t>();
  return x;
}
template <>
BalloonSample get(Dec& d) {
  BalloonSample x;
  x.target_kb = d.num<int64_t>();
  x.current_kb = d.num<int64_t>();
  x.low_kb = d.num<int64_t>();
  x.high_kb = d.num<int64_t>();
  return x;
}
template <>
HotplugCall get(Dec& d) {
  HotplugCall x;
  x.kind = static_cast<HotplugCall::Kind>(d.num<uint8_t>());
  x.via = d.str();
  x.nid = d.num<int32_t>();
  x.zid = d.num<int32_t>();
  x.zone = d.str();
  x.upper_zone = d.str();
  x.start_pfn = d.num<uint64_t>();
  x.nr_pages = d.num<uint64_t>();
  x.min = d.num<uint64_t>();
  x.low = d.num<uint64_t>();
  x.high = d.num<uint64_t>();
  x.managed = d.num<int64_t>();
  x.present = d.num<int64_t>();
  x.lowmem_reserve = d.num<int64_t>();
  return x;
}

template <>
KswapdWake get(Dec& d) {
  KswapdWake x;
  x.nid = d.num<int32_t>();
  x.zid = d.num<int32_t>();
  x.order = d.order<int32_t>();
  return x;
}
template <>
KswapdSleep get(Dec& d) {
  KswapdSleep x;
  x.nid = d.num<int32_t>();
  return x;
}
template <>
WakeupKswapd get(Dec& d) {
  WakeupKswapd x;
  x.nid = d.num<int32_t>();
  x.zid = d.num<int32_t>();
  x.order = d.order<int32_t>();
  x.gfp = d.num<uint64_t>();
  x.pid = d.num<uint32_t>();
  x.comm = d.str();
  return x;
}
template <>
DirectReclaim get(Dec& d) {
  DirectReclaim x;
  x.pid = d.num<uint32_t>();
  x.comm = d.str();
  x.order = d.order<int32_t>();
  x.gfp = d.num<uint64_t>();
  x.begin_ns = d.num<uint64_t>();
  x.end_ns = d.num<uint64_t>();
  x.nr_reclaimed = d.num<uint64_t>();
  x.memcg = d.boolean();
  if (d.remaining() > 0) {  // 1.3: appended; 1.0-1.2 records end here
    x.cgroup_id = d.num<uint64_t>();
    x.cgroup = d.str();
  }
  return x;
}
ShrinkStat get_shrink(Dec& d) {
  ShrinkStat s;
  s.calls = d.num<uint64_t>();
  s.scanned = d.num<uint64_t>();
  s.reclaimed = d.num<uint64_t>();
  return s;
}
template <>
ReclaimCounters get(Dec& d) {
  ReclaimCounters x;
  x.nodes.resize(d.count(52));
  for (auto& n : x.nodes) {
    n.nid = d.num<int32_t>();
    n.kswapd = get_shrink(d);
    n.other = get_shrink(d);
  }
  return x;
}
template <>
AllocCounters get(Dec& d) {
  AllocCounters x;
  x.cells.resize(d.count(19));
  for (auto& c : x.cells) {
    c.nid = d.num<int32_t>();
    c.zid = d.num<int32_t>();
    c.order = d.order<uint8_t>();
    c.migratetype = d.num<uint8_t>();
    c.gfp_class = d.num<uint8_t>();
    c.calls = d.num<uint64_t>();
  }
  return x;
}
template <>
ProbeCounters get(Dec& d) {
  ProbeCounters x;
  x.ringbuf_drops = d.num<uint64_t>();
  x.reclaim_unpaired = d.num<uint64_t>();
  return x;
}
template <>
VmstatSample get(Dec& d) {
  VmstatSample x;
  x.counters = d.counters();
  return x;
}
ZoneInfo get_zone(Dec& d) {
  ZoneInfo z;
  z.nid = d.num<int32_t>();
  z.zid = d.num<int32_t>();
  z.name = d.str();
  z.free = d.num<uint64_t>();
  z.boost = d.num<uint64_t>();
  z.min = d.num<uint64_t>();
  z.low = d.num<uint64_t>();
  z.high = d.num<uint64_t>();
  z.spanned = d.num<uint64_t>();
  z.present = d.num<uint64_t>();
  z.managed = d.num<uint64_t>();
  z.start_pfn = d.num<uint64_t>();
  z.has_start_pfn = d.boolean();
  z.protection = d.u64s();
  z.node_unreclaimable = d.boolean();
  z.stats = d.counters();
  z.free_blocks = d.u64s();
  return z;
}
template <>
ZoneSample get(Dec& d) {
  ZoneSample x;
  x.zones.resize(d.count(90));
  for (auto& z : x.zones) z = get_zone(d);
  x.min_free_kbytes = d.num<int64_t>();
  return x;
}
template <>
KswapdCpuSample get(Dec& d) {
  KswapdCpuSample x;
  x.threads.resize(d.count(16));
  for (auto& t : x.threads) {
    t.nid = d.num<int32_t>();
    t.pid = d.num<int32_t>();
    t.cpu_ns = d.num<uint64_t>();
  }
  return x;
}

// Decoder table built from the variant's alternatives: every alternative
// gets a case, so a new alternative is decoded as soon as it has a tag and
// put()/get() (both of which fail to compile until written).
template <size_t I = 0>
std::optional<EventData> decode_alt(uint16_t tag, Dec& d) {
  if constexpr (I == std::variant_size_v<EventData>) {
    return std::nullopt;
  } else {
    using T = std::variant_alternative_t<I, EventData>;
    if (tag == RecordTag<T>::value) return EventData{std::in_place_index<I>, get<T>(d)};
    return decode_alt<I + 1>(tag, d);
  }
}

void put_u32_at(std::string& s, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t u32_at(std::string_view s, size_t off) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(s[off + i])) << (8 * i);
  return v;
}
uint16_t u16_at(std::string_view s, size_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[off]) | static_cast<uint8_t>(s[off + 1]) << 8);
}
uint64_t u64_at(std::string_view s, size_t off) {
  return static_cast<uint64_t>(u32_at(s, off)) | static_cast<uint64_t>(u32_at(s, off + 4)) << 32;
}

}  // namespace

const char* end_reason_name(EndReason r) {
  switch (r) {
    case EndReason::Stopped: return "stopped by signal";
    case EndReason::DurationElapsed: return "duration elapsed";
    case EndReason::DiskFull: return "disk full";
    case EndReason::Error: return "error";
    case EndReason::PidsExited: return "the -p processes exited";
  }
  return "unknown";
}

const char* end_reason_key(EndReason r) {
  switch (r) {
    case EndReason::Stopped: return "stopped";
    case EndReason::DurationElapsed: return "duration";
    case EndReason::DiskFull: return "disk_full";
    case EndReason::Error: return "error";
    case EndReason::PidsExited: return "pids_exited";
  }
  return "unknown";
}

uint32_t crc32_of(std::string_view a, std::string_view b) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(a.data()), static_cast<uInt>(a.size()));
  if (!b.empty()) c = crc32(c, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size()));
  return static_cast<uint32_t>(c);
}

// ---- header ----------------------------------------------------------------

std::string encode_header(const Header& h) {
  nlohmann::json j;
  j["format"] = "kswaptrace-recording";
  j["recording_id"] = h.recording_id;
  j["segment"] = h.segment;
  j["run"] = h.run;
  j["writer"] = h.writer;
  j["hostname"] = h.hostname;
  j["machine"] = h.machine;
  j["boot_id"] = h.boot_id;
  j["kernel_release"] = h.kernel_release;
  j["page_size"] = h.page_size;
  j["clock"] = {{"base", "CLOCK_MONOTONIC"},
                {"realtime_offset_ns", h.realtime_offset_ns},
                {"created_mono_ns", h.created_mono_ns},
                {"recording_start_ns", h.recording_start_ns}};
  j["options"] = {{"sample_interval_s", h.sample_interval_s},
                  {"flush_interval_s", h.flush_interval_s},
                  {"max_size", h.max_size}};
  j["source"] = {{"kernel_release", h.source.kernel_release},
                 {"backend", h.source.backend},
                 {"attach", h.source.attach},
                 {"degraded", h.source.degraded},
                 {"hotadd_sources", h.source.hotadd_sources},
                 {"page_size", h.source.page_size}};
  nlohmann::json zones = nlohmann::json::array();
  for (const auto& z : h.zones)
    zones.push_back({{"nid", z.nid},
                     {"zid", z.zid},
                     {"name", z.name},
                     {"start_pfn", z.start_pfn},
                     {"spanned", z.spanned},
                     {"present", z.present},
                     {"managed", z.managed}});
  j["zones"] = zones;
  if (!h.scope.pids.empty() || !h.scope.cgroup.empty())
    j["scope"] = {{"pids", h.scope.pids}, {"cgroup", h.scope.cgroup}};
  const std::string body = json_text(j);
  std::string out(kFileMagic, sizeof kFileMagic);
  Enc e(out);
  e.num(h.major);
  e.num(h.minor);
  e.num<uint32_t>(static_cast<uint32_t>(body.size()));
  e.num<uint32_t>(crc32_of(body));
  out += body;
  return out;
}

uint32_t parse_header_prefix(std::string_view p, uint16_t* major, uint16_t* minor) {
  if (p.size() < kFileHeaderPrefix) throw FormatError("truncated header");
  if (std::memcmp(p.data(), kFileMagic, sizeof kFileMagic) != 0)
    throw FormatError("not a kswaptrace recording (bad magic)");
  const uint16_t ma = u16_at(p, 8), mi = u16_at(p, 10);
  if (major) *major = ma;
  if (minor) *minor = mi;
  if (ma > kVersionMajor)
    throw FormatError("recording format version " + std::to_string(ma) + "." + std::to_string(mi) +
                      " is newer than this kswaptrace reads (" + std::to_string(kVersionMajor) +
                      ".x); use a newer kswaptrace");
  if (ma == 0) throw FormatError("recording format version 0 is not supported");
  const uint32_t len = u32_at(p, 12);
  if (len > kMaxHeaderBody) throw FormatError("corrupt header (body length " + std::to_string(len) + ")");
  return len;
}

// A numeric header field, checked before it is converted: a crafted header
// (its CRC recomputed) can hold 1e70 where an integer belongs, and
// nlohmann's conversion of an out-of-range double is undefined behaviour
// (found by fuzz-recording).
template <class T>
T header_int(const nlohmann::json& o, const char* key, T def) {
  const auto it = o.find(key);
  if (it == o.end()) return def;
  const bool fits = it->is_number_unsigned() ? it->get<uint64_t>() <= uint64_t(std::numeric_limits<T>::max())
                    : it->is_number_integer()
                        ? it->get<int64_t>() >= int64_t(std::numeric_limits<T>::min()) &&
                              (it->get<int64_t>() < 0 ||
                               uint64_t(it->get<int64_t>()) <= uint64_t(std::numeric_limits<T>::max()))
                        : false;
  if (!fits) throw FormatError(std::string("header: ") + key + " is not an integer in range");
  return static_cast<T>(it->is_number_unsigned() ? static_cast<T>(it->get<uint64_t>())
                                                 : static_cast<T>(it->get<int64_t>()));
}

double header_decimal(const nlohmann::json& o, const char* key) {
  const auto it = o.find(key);
  if (it == o.end()) return 0.0;
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
    throw FormatError(std::string("header: ") + key + " is not a finite non-negative number");
  return it->get<double>();
}

// 1.4 "scope": what the run was limited to. Shown to the reader as it is
// (sinks make it terminal-safe), so only its shape is checked here.
static TraceScope decode_scope(const nlohmann::json& j) {
  TraceScope sc;
  if (!j.is_object()) throw FormatError("header: scope is not an object");
  const nlohmann::json pids = j.value("pids", nlohmann::json::array());
  if (!pids.is_array() || pids.size() > 4096) throw FormatError("header: scope.pids is not a list of pids");
  for (const auto& p : pids) {
    if (!p.is_number_unsigned() || p.get<uint64_t>() == 0 || p.get<uint64_t>() > (1u << 30))
      throw FormatError("header: scope.pids holds something that is not a pid");
    sc.pids.push_back(p.get<uint32_t>());
  }
  sc.cgroup = j.value("cgroup", "");
  return sc;
}

Header decode_header(std::string_view p, std::string_view body) {
  Header h;
  const uint32_t len = parse_header_prefix(p, &h.major, &h.minor);
  if (body.size() < len) throw FormatError("truncated header");
  body = body.substr(0, len);
  if (crc32_of(body) != u32_at(p, 16)) throw FormatError("header checksum mismatch (corrupt header)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
    if (j.value("format", "") != "kswaptrace-recording")
      throw FormatError("header is not a kswaptrace header");
    h.recording_id = j.value("recording_id", "");
    h.segment = header_int<uint64_t>(j, "segment", 0);
    h.run = header_int<uint64_t>(j, "run", 1);
    h.writer = j.value("writer", "");
    h.hostname = j.value("hostname", "");
    h.machine = j.value("machine", "");
    h.boot_id = j.value("boot_id", "");
    h.kernel_release = j.value("kernel_release", "");
    h.page_size = header_int<uint32_t>(j, "page_size", 4096);
    const auto& c = j.at("clock");
    h.realtime_offset_ns = header_int<int64_t>(c, "realtime_offset_ns", 0);
    h.created_mono_ns = header_int<uint64_t>(c, "created_mono_ns", 0);
    h.recording_start_ns = header_int<uint64_t>(c, "recording_start_ns", 0);
    if (j.contains("options")) {
      const auto& o = j["options"];
      h.sample_interval_s = header_decimal(o, "sample_interval_s");
      h.flush_interval_s = header_decimal(o, "flush_interval_s");
      h.max_size = header_int<uint64_t>(o, "max_size", 0);
    }
    const auto& s = j.at("source");
    h.source.kernel_release = s.value("kernel_release", "");
    h.source.backend = s.value("backend", "");
    h.source.attach = s.value("attach", std::map<std::string, std::string>{});
    h.source.degraded = s.value("degraded", std::vector<std::string>{});
    h.source.hotadd_sources = s.value("hotadd_sources", std::map<std::string, std::string>{});
    h.source.page_size = header_int<uint32_t>(s, "page_size", 4096);
    // anyone can craft a header with a valid CRC: the page size divides
    // (hazards, hot-add bytes), so only what a kernel can have is accepted
    for (uint32_t ps : {h.page_size, h.source.page_size})
      if (ps < 4096 || ps > (256u << 10) || (ps & (ps - 1)))
        throw FormatError("header: page_size " + std::to_string(ps) +
                          " is not a kernel page size (a power of two, 4 KiB to 256 KiB)");
    for (const auto& z : j.value("zones", nlohmann::json::array())) {
      ZoneLayout l;
      l.nid = header_int<int32_t>(z, "nid", 0);
      l.zid = header_int<int32_t>(z, "zid", 0);
      l.name = z.value("name", "");
      l.start_pfn = header_int<uint64_t>(z, "start_pfn", 0);
      l.spanned = header_int<uint64_t>(z, "spanned", 0);
      l.present = header_int<uint64_t>(z, "present", 0);
      l.managed = header_int<uint64_t>(z, "managed", 0);
      h.zones.push_back(std::move(l));
    }
    if (j.contains("scope")) h.scope = decode_scope(j["scope"]);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("malformed header: ") + e.what());
  }
  return h;
}

// ---- records -----------------------------------------------------------

uint16_t tag_of(const EventData& d) {
  return std::visit([](const auto& x) { return RecordTag<std::decay_t<decltype(x)>>::value; }, d);
}

void append_meta(std::string& out, uint16_t tag, TimeNs ts, std::string_view body) {
  Enc e(out);
  e.num(tag);
  e.num<uint32_t>(static_cast<uint32_t>(body.size()));
  e.num<uint64_t>(ts);
  out.append(body);
}

void append_event(std::string& out, const Event& ev) {
  const size_t start = out.size();
  Enc e(out);
  e.num(tag_of(ev.data));
  e.num<uint32_t>(0);  // length, patched below
  e.num<uint64_t>(ev.ts);
  // exhaustive: a variant alternative without put() does not compile
  std::visit([&](const auto& x) { put(e, x); }, ev.data);
  put_u32_at(out, start + 2, static_cast<uint32_t>(out.size() - start - 14));
}

std::vector<RawRecord> split_records(std::string_view p) {
  std::vector<RawRecord> out;
  while (!p.empty()) {
    if (p.size() < 14) throw FormatError("record header ends early");
    RawRecord r;
    r.tag = u16_at(p, 0);
    const uint32_t len = u32_at(p, 2);
    r.ts = u64_at(p, 6);
    if (p.size() - 14 < len) throw FormatError("record body ends early");
    r.body = p.substr(14, len);
    out.push_back(r);
    p.remove_prefix(14 + len);
  }
  return out;
}

std::optional<Event> decode_event(const RawRecord& r) {
  Dec d(r.body);
  std::optional<EventData> data = decode_alt(r.tag, d);
  if (!data) return std::nullopt;
  // trailing bytes: fields appended by a newer minor version, ignored
  return Event{r.ts, std::move(*data)};
}

void shift_times(Event& e, int64_t delta) {
  const auto mv = [delta](TimeNs t) { return static_cast<TimeNs>(static_cast<int64_t>(t) + delta); };
  e.ts = mv(e.ts);
  if (auto* d = std::get_if<DirectReclaim>(&e.data)) {
    d->begin_ns = mv(d->begin_ns);
    d->end_ns = mv(d->end_ns);
  } else if (auto* v = std::get_if<VerdictChange>(&e.data)) {
    if (v->verdict.since) v->verdict.since = mv(v->verdict.since);
    if (v->verdict.raised) v->verdict.raised = mv(v->verdict.raised);
  }
}

// ---- blocks -------------------------------------------------------------

std::string encode_block(std::string_view raw, uint32_t count, TimeNs first_ts, TimeNs last_ts, int level) {
  std::string out(kBlockHeaderSize + ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress(out.data() + kBlockHeaderSize, out.size() - kBlockHeaderSize, raw.data(),
                                 raw.size(), level);
  if (ZSTD_isError(n)) throw FormatError(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(kBlockHeaderSize + n);
  std::string h;
  Enc e(h);
  e.num<uint32_t>(kBlockMagic);
  e.num<uint16_t>(kCodecZstd);
  e.num<uint16_t>(0);
  e.num<uint32_t>(static_cast<uint32_t>(n));
  e.num<uint32_t>(static_cast<uint32_t>(raw.size()));
  e.num<uint32_t>(count);
  e.num<uint64_t>(first_ts);
  e.num<uint64_t>(last_ts);
  const uint32_t crc = crc32_of(h, std::string_view(out).substr(kBlockHeaderSize));
  e.num<uint32_t>(crc);
  std::memcpy(out.data(), h.data(), kBlockHeaderSize);
  return out;
}

std::optional<BlockInfo> parse_block_header(std::string_view h) {
  if (h.size() < kBlockHeaderSize || u32_at(h, 0) != kBlockMagic) return std::nullopt;
  BlockInfo b;
  b.codec = u16_at(h, 4);
  b.comp_len = u32_at(h, 8);
  b.raw_len = u32_at(h, 12);
  b.count = u32_at(h, 16);
  b.first_ts = u64_at(h, 20);
  b.last_ts = u64_at(h, 28);
  b.crc = u32_at(h, 36);
  if (b.raw_len > kMaxBlockRaw || b.comp_len > ZSTD_compressBound(kMaxBlockRaw)) return std::nullopt;
  return b;
}

std::string decode_block(const BlockInfo& b, std::string_view h, std::string_view payload) {
  if (payload.size() < b.comp_len) throw FormatError("block payload ends early");
  payload = payload.substr(0, b.comp_len);
  if (crc32_of(h.substr(0, kBlockHeaderSize - 4), payload) != b.crc)
    throw FormatError("block checksum mismatch");
  if (b.codec != kCodecZstd) throw FormatError("unknown block codec " + std::to_string(b.codec));
  std::string raw(b.raw_len, '\0');
  const size_t n = ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size());
  if (ZSTD_isError(n)) throw FormatError(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != b.raw_len) throw FormatError("block decompresses to the wrong length");
  return raw;
}

}  // namespace kst::rec
