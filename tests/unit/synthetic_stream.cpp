#include "synthetic_stream.h"

#include <algorithm>

namespace kst::test {
namespace {

ZoneInfo zone(int32_t zid, const char* name, uint64_t present, uint64_t managed, uint64_t free, uint64_t min,
              uint64_t low, uint64_t high) {
  ZoneInfo z;
  z.nid = 0;
  z.zid = zid;
  z.name = name;
  z.spanned = present;
  z.present = present;
  z.managed = managed;
  z.free = free;
  z.min = min;
  z.low = low;
  z.high = high;
  return z;
}

}  // namespace

std::vector<ZoneInfo> SyntheticStream::normal_zones() {
  std::vector<ZoneInfo> z = {zone(0, "DMA", 3998, 3840, 3000, 8, 10, 12),
                             zone(1, "DMA32", 520000, 500000, 120000, 5000, 6250, 7500),
                             zone(2, "Normal", 1500000, 1450000, 300000, 14000, 17500, 21000)};
  z[2].stats = {{"nr_zone_inactive_anon", 400000}, {"nr_zone_active_file", 300000}};
  return z;
}

std::vector<ZoneInfo> SyntheticStream::seed_zones() {
  // LP#1518457 comment 126: 1 GiB guest, all of it in DMA32; the balloon
  // hot-added a Normal zone of which 9 pages are managed, watermarks 0.
  std::vector<ZoneInfo> z = {zone(0, "DMA", 3998, 3976, 1200, 21, 26, 31),
                             zone(1, "DMA32", 258048, 241500, 30000, 2800, 3500, 4200),
                             zone(2, "Normal", 32768, 9, 0, 0, 0, 0)};
  z[2].stats = {{"nr_inactive_file", 3}, {"nr_active_anon", 2}};  // 4.4 names
  return z;
}

void SyntheticStream::events(const Second& s, const Sink& sink) {
  const TimeNs t = t_;
  if (s.sleeps == 0 && s.wakes > 0) {
    for (int i = 0; i < s.wakes; i++) sink({t + kSec * i / s.wakes, KswapdWake{0, 2, 0}});
    awake_ = true;
  } else if (s.sleeps > 0) {
    const TimeNs cycle = kSec / s.sleeps;
    const int per_cycle = std::max(1, s.wakes / s.sleeps);
    const TimeNs awake_ns = static_cast<TimeNs>(cycle * s.duty);
    for (int c = 0; c < s.sleeps; c++) {
      const TimeNs start = t + c * cycle;
      for (int j = 0; j < per_cycle; j++)
        sink({start + awake_ns * j / per_cycle,
              KswapdWake{0, 2, j == 0 && s.high_order_requests ? s.order : 0}});
      sink({start + awake_ns, KswapdSleep{0}});
    }
    awake_ = false;
  }
  for (int i = 0; i < s.high_order_requests; i++) {
    WakeupKswapd w{0, 2, s.order, 0x920, 4242, s.requester};
    sink({t + kSec * i / s.high_order_requests, w});
  }
  for (int i = 0; i < s.direct + s.memcg; i++) {
    DirectReclaim r;
    r.pid = 5000;
    r.comm = i < s.direct ? "hog" : "memcg-hog";
    r.memcg = i >= s.direct;
    r.begin_ns = t + kSec * i / (s.direct + s.memcg);
    r.end_ns = r.begin_ns + 200000;
    r.nr_reclaimed = 32;
    sink({r.end_ns, r});
  }
  t_ += kSec;
  cpu_ns_ += static_cast<uint64_t>(s.cpu * kSec);
  pageoutrun_ += s.wakes;
  quick_ += s.quick;
  pgscan_ += s.scanned;
  pgsteal_ += s.reclaimed;
  slabs_ += s.slabs;
  allocstall_ += s.allocstall;
  refault_ += s.refault;
  pgscan_d_ += s.direct_scanned;
  pgsteal_d_ += s.direct_reclaimed;
  calls_ += s.scanned ? s.wakes : 0;
  if (s.unreclaimable >= 0)
    for (auto& z : zones_) z.node_unreclaimable = s.unreclaimable > 0;
}

std::vector<Event> SyntheticStream::samples() {
  std::vector<Event> out;
  ZoneSample zs;
  zs.zones = zones_;
  zs.min_free_kbytes = 67584;
  out.push_back({t_, zs});
  ReclaimCounters rc;
  ReclaimCounters::Node n;
  n.kswapd = {calls_, pgscan_, pgsteal_};
  n.other = {0, pgscan_d_, pgsteal_d_};
  rc.nodes.push_back(n);
  out.push_back({t_, rc});
  VmstatSample v;
  v.counters["pageoutrun"] = pageoutrun_;
  v.counters["kswapd_high_wmark_hit_quickly"] = quick_;
  v.counters["kswapd_low_wmark_hit_quickly"] = 0;
  v.counters["slabs_scanned"] = slabs_;
  if (per_zone_) {  // 4.4 names: per-zone pgscan/pgsteal, one allocstall
    v.counters["pgscan_kswapd_dma32"] = pgscan_ / 2;
    v.counters["pgscan_kswapd_normal"] = pgscan_ - pgscan_ / 2;
    v.counters["pgsteal_kswapd_normal"] = pgsteal_;
    v.counters["pgscan_direct_normal"] = pgscan_d_;
    v.counters["pgsteal_direct_normal"] = pgsteal_d_;
    v.counters["allocstall"] = allocstall_;
    v.counters["workingset_refault"] = refault_;
  } else {  // 6.x names
    v.counters["pgscan_kswapd"] = pgscan_;
    v.counters["pgsteal_kswapd"] = pgsteal_;
    v.counters["pgscan_direct"] = pgscan_d_;
    v.counters["pgscan_direct_throttle"] = 7777;  // not part of pgscan_direct
    v.counters["pgsteal_direct"] = pgsteal_d_;
    v.counters["allocstall_normal"] = allocstall_;
    v.counters["allocstall_movable"] = 0;
    v.counters["workingset_refault_anon"] = refault_ / 2;
    v.counters["workingset_refault_file"] = refault_ - refault_ / 2;
  }
  out.push_back({t_, v});
  KswapdCpuSample cpu;
  cpu.threads.push_back({0, 35, cpu_ns_});
  out.push_back({t_, cpu});
  return out;
}

}  // namespace kst::test
