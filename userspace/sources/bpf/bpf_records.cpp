#include "sources/bpf/bpf_records.h"

#include <cstring>

#include "vmscan_abi.h"

namespace kst {
namespace {

std::string comm_of(const char (&c)[KST_COMM_LEN]) { return std::string(c, strnlen(c, KST_COMM_LEN)); }

template <typename Rec>
bool fits(const kst_rec_hdr& h, size_t size, std::string& err) {
  if (h.size != sizeof(Rec) || size < sizeof(Rec)) {
    err = "record type " + std::to_string(h.type) + ": size " + std::to_string(h.size) + "/" +
          std::to_string(size) + ", expected " + std::to_string(sizeof(Rec));
    return false;
  }
  return true;
}

}  // namespace

DecodeResult decode_record(const void* data, size_t size) {
  DecodeResult r;
  if (size < sizeof(kst_rec_hdr)) {
    r.error = "record shorter than its header (" + std::to_string(size) + " bytes)";
    return r;
  }
  kst_rec_hdr h;
  std::memcpy(&h, data, sizeof h);
  Event e;
  e.ts = h.ts_ns;
  switch (h.type) {
    case KST_REC_KSWAPD_WAKE: {
      if (!fits<kst_rec_kswapd_wake>(h, size, r.error)) return r;
      kst_rec_kswapd_wake rec;
      std::memcpy(&rec, data, sizeof rec);
      e.data = KswapdWake{rec.nid, rec.zid, rec.order};
      break;
    }
    case KST_REC_KSWAPD_SLEEP: {
      if (!fits<kst_rec_kswapd_sleep>(h, size, r.error)) return r;
      kst_rec_kswapd_sleep rec;
      std::memcpy(&rec, data, sizeof rec);
      e.data = KswapdSleep{rec.nid};
      break;
    }
    case KST_REC_WAKEUP_KSWAPD: {
      if (!fits<kst_rec_wakeup_kswapd>(h, size, r.error)) return r;
      kst_rec_wakeup_kswapd rec;
      std::memcpy(&rec, data, sizeof rec);
      e.data = WakeupKswapd{rec.nid, rec.zid, rec.order, rec.gfp, h.pid, comm_of(rec.comm)};
      break;
    }
    case KST_REC_DIRECT_RECLAIM: {
      if (!fits<kst_rec_direct_reclaim>(h, size, r.error)) return r;
      kst_rec_direct_reclaim rec;
      std::memcpy(&rec, data, sizeof rec);
      DirectReclaim d;
      d.pid = h.pid;
      d.comm = comm_of(rec.comm);
      d.order = rec.order;
      d.gfp = rec.gfp;
      d.begin_ns = rec.begin_ns;
      d.end_ns = h.ts_ns;
      d.nr_reclaimed = rec.nr_reclaimed;
      d.memcg = rec.flags & KST_DR_MEMCG;
      d.cgroup_id = rec.cgroup_id;
      e.data = std::move(d);
      break;
    }
    default: r.error = "unknown record type " + std::to_string(h.type); return r;
  }
  r.event = std::move(e);
  return r;
}

}  // namespace kst
