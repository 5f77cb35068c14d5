// Synthetic kswapd + /proc streams with a controlled clock, one second at a
// time: the events a second of a given behaviour would produce, followed by
// the samples (zoneinfo, vmstat, kswapd CPU, shrink aggregates) taken at its end.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/event.h"

namespace kst::test {

constexpr TimeNs kSec = 1000000000ull;

// What kswapd and the system do during one second.
struct Second {
  int wakes = 0;                        // kswapd_wake (balance_pgdat passes)
  int sleeps = 0;                       // real sleeps; 0 with wakes > 0 = awake the whole second
  double duty = 1.0;                    // with sleeps > 0: share of each cycle spent awake
  double cpu = 0;                       // kswapd CPU share
  uint64_t scanned = 0, reclaimed = 0;  // kswapd (lru_shrink_inactive and pgscan/pgsteal_kswapd)
  uint64_t quick = 0;                   // kswapd_high_wmark_hit_quickly
  uint64_t slabs = 0, allocstall = 0, refault = 0;
  uint64_t direct_scanned = 0, direct_reclaimed = 0;
  int direct = 0, memcg = 0;  // traced direct / memcg-limit reclaim episodes
  int high_order_requests = 0, order = 3;
  std::string requester = "iperf3";
  int unreclaimable = -1;  // -1 unchanged, 0/1 set node_unreclaimable
};

class SyntheticStream {
 public:
  using Sink = std::function<void(const Event&)>;

  // Zone layouts of one node (pages).
  static std::vector<ZoneInfo> normal_zones();  // DMA + DMA32 + big Normal, all above high
  static std::vector<ZoneInfo> seed_zones();    // DMA + DMA32 + the seed's Normal: 9 of 32768 pages

  explicit SyntheticStream(std::vector<ZoneInfo> zones, TimeNs start = 100 * kSec,
                           bool per_zone_vmstat = false)
      : zones_(std::move(zones)), t_(start), per_zone_(per_zone_vmstat) {}

  TimeNs now() const { return t_; }
  std::vector<ZoneInfo>& zones() { return zones_; }

  // Events of the second that starts now, then advances the clock by 1 s.
  void events(const Second& s, const Sink& sink);
  // The samples at the current time.
  std::vector<Event> samples();

 private:
  std::vector<ZoneInfo> zones_;
  TimeNs t_;
  bool per_zone_;
  bool awake_ = false;
  uint64_t cpu_ns_ = 0, pageoutrun_ = 0, quick_ = 0, pgscan_ = 0, pgsteal_ = 0, slabs_ = 0, allocstall_ = 0,
           refault_ = 0, pgscan_d_ = 0, pgsteal_d_ = 0, calls_ = 0;
};

}  // namespace kst::test
