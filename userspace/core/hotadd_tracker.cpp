#include "core/hotadd_tracker.h"

#include <algorithm>
#include <cstdio>

namespace kst {
namespace {

namespace src = hotadd_source;

std::string fmt(const char* f, auto... args) {
  char buf[768];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

bool opens_episode(const std::string& action) {
  return action == "add" || action == "online" || action == "offline" || action == "remove";
}

const char* call_source(HotplugCall::Kind k) {
  switch (k) {
    case HotplugCall::AddMemory: return src::kAddMemory;
    case HotplugCall::OnlinePages: return src::kOnlinePages;
    case HotplugCall::SetupWmarks: return src::kSetupWmarks;
    case HotplugCall::ZoneWmarks: return src::kTpWmarks;
    case HotplugCall::LowmemReserve: return src::kTpLowmem;
  }
  return "?";
}

ZoneCounters counters(const ZoneInfo* z) {
  ZoneCounters c;
  if (!z) return c;
  c.exists = true;
  c.present = z->present;
  c.managed = z->managed;
  c.spanned = z->spanned;
  c.start_pfn = z->start_pfn;
  c.min = z->min;
  c.low = z->low;
  c.high = z->high;
  return c;
}

bool same(const ZoneCounters& a, const ZoneCounters& b) {
  return a.exists == b.exists && a.present == b.present && a.managed == b.managed && a.spanned == b.spanned &&
         a.min == b.min && a.low == b.low && a.high == b.high;
}

// Did the memory layout change: a zone's present or spanned pages?
bool layout_changed(const std::vector<ZoneInfo>& before, const std::vector<ZoneInfo>& after) {
  for (const auto& a : after) {
    const ZoneInfo* b = find_zone(before, a.nid, a.name);
    if (!b) {
      if (a.present) return true;
      continue;
    }
    if (a.present != b->present || a.spanned != b->spanned) return true;
  }
  for (const auto& b : before)
    if (b.present && !find_zone(after, b.nid, b.name)) return true;
  return false;
}

bool counters_changed(const std::vector<ZoneInfo>& before, const std::vector<ZoneInfo>& after) {
  for (const auto& a : after)
    if (!same(counters(&a), counters(find_zone(before, a.nid, a.name)))) return true;
  return before.size() != after.size();
}

bool balloon_changed(const BalloonSample& a, const BalloonSample& b) {
  return a.target_kb != b.target_kb || a.current_kb != b.current_kb || a.low_kb != b.low_kb ||
         a.high_kb != b.high_kb;
}

void add_range(HotAdd& h, uint64_t start, uint64_t end) {
  if (end <= start) return;
  if (!h.has_range) {
    h.has_range = true;
    h.phys_start = start;
    h.phys_end = end;
  } else {
    h.phys_start = std::min(h.phys_start, start);
    h.phys_end = std::max(h.phys_end, end);
  }
}

}  // namespace

HotAddTracker::HotAddTracker(HotAddOptions o) : opt_(o) {}

void HotAddTracker::touch(Episode& ep, TimeNs ts) const {
  ep.h.last_ns = std::max(ep.h.last_ns, ts);
  ep.h.first_ns = std::min(ep.h.first_ns, ts);
}

HotAddTracker::Episode& HotAddTracker::ensure(TimeNs ts) {
  advance(ts);
  if (!open_) {
    open_.emplace();
    open_->h.id = next_id_++;
    open_->h.first_ns = open_->h.last_ns = ts;
    open_->before = last_zones_;
    // a balloon target raised just before the hot-add is part of it: show the value before
    const bool recent = balloon_prev_ && ts < balloon_changed_ns_ + opt_.settle_ns;
    open_->h.balloon_before = recent ? balloon_prev_ : last_balloon_;
    open_->h.balloon_after = last_balloon_;
    if (recent) open_->h.sources.insert(hotadd_source::kBalloon);
  }
  return *open_;
}

void HotAddTracker::advance(TimeNs now) {
  if (open_ && now >= open_->h.last_ns + opt_.settle_ns) {
    HotAdd h = finalize(*open_);
    h.settled = true;
    settled_.push_back(std::move(h));
    open_.reset();
  }
}

void HotAddTracker::on(TimeNs ts, const MemoryBlockEvent& e) {
  seen_[src::kUevent]++;
  if (!opens_episode(e.action)) return;
  Episode& ep = ensure(ts);
  touch(ep, ts);
  ep.h.sources.insert(src::kUevent);
  if (e.block_size) ep.h.block_size = e.block_size;
  auto it = std::find_if(ep.h.blocks.begin(), ep.h.blocks.end(),
                         [&](const HotAddBlock& b) { return b.block == e.block; });
  if (it == ep.h.blocks.end()) {
    ep.h.blocks.push_back({e.block, {}, "", "", ""});
    it = ep.h.blocks.end() - 1;
  }
  it->actions.push_back(e.action);
  if (!e.phys_index.empty()) it->phys_index = e.phys_index;
  if (!e.state.empty()) it->state = e.state;
  if (!e.valid_zones.empty()) it->valid_zones = e.valid_zones;
  std::sort(ep.h.blocks.begin(), ep.h.blocks.end(),
            [](const HotAddBlock& a, const HotAddBlock& b) { return a.block < b.block; });
}

void HotAddTracker::on(TimeNs ts, const HotplugCall& e) {
  const char* name = call_source(e.kind);
  seen_[name]++;
  const bool opener = e.kind == HotplugCall::AddMemory || e.kind == HotplugCall::OnlinePages;
  if (!opener) {
    // watermark recomputations also follow sysctl writes: they only join an episode
    advance(ts);
    if (!open_) return;
  }
  Episode& ep = ensure(ts);
  touch(ep, ts);
  ep.h.sources.insert(name);
  if (e.kind == HotplugCall::SetupWmarks || e.kind == HotplugCall::ZoneWmarks) ep.h.wmark_updates++;
  ep.calls.push_back(e);
}

void HotAddTracker::on(TimeNs ts, const BalloonSample& e) {
  seen_[src::kBalloon]++;
  const bool changed = !last_balloon_ || balloon_changed(*last_balloon_, e);
  if (last_balloon_ && changed) {
    balloon_prev_ = last_balloon_;
    balloon_changed_ns_ = ts;
  }
  last_balloon_ = e;
  advance(ts);
  if (!open_) return;
  if (!open_->h.balloon_before) open_->h.balloon_before = e;
  open_->h.balloon_after = e;
  if (changed) {
    // the balloon is still handing out (or taking back) pages: not settled yet
    touch(*open_, ts);
    open_->h.sources.insert(src::kBalloon);
  }
}

void HotAddTracker::on(TimeNs ts, const ZoneSample& e) {
  seen_[src::kZoneinfo]++;
  const bool layout = last_zones_ && layout_changed(last_zones_->zones, e.zones);
  const bool moved = last_zones_ && counters_changed(last_zones_->zones, e.zones);
  std::optional<ZoneSample> prev = std::move(last_zones_);
  last_zones_ = e;
  advance(ts);
  if (layout && !open_) {
    Episode& ep = ensure(ts);
    ep.before = std::move(prev);
  }
  if (!open_) return;
  open_->after = e;
  if (layout || moved) touch(*open_, ts);
}

HotAdd HotAddTracker::finalize(const Episode& ep) const {
  HotAdd h = ep.h;
  const uint64_t ps = opt_.page_size;

  // physical range and zone from the kernel probes
  for (const auto& c : ep.calls) {
    if (c.kind == HotplugCall::AddMemory) {
      add_range(h, c.start_pfn * ps, (c.start_pfn + c.nr_pages) * ps);
      if (h.nid < 0) h.nid = c.nid;
    } else if (c.kind == HotplugCall::OnlinePages) {
      add_range(h, c.start_pfn * ps, (c.start_pfn + c.nr_pages) * ps);
      h.pages_onlined += c.nr_pages;
      if (h.zone.empty() && !c.zone.empty()) {
        h.zone = c.zone;
        h.nid = c.nid;
      }
    }
  }
  // ... and from the memory blocks: memoryN covers [N * size, (N + 1) * size)
  if (h.block_size)
    for (const auto& b : h.blocks) add_range(h, b.block * h.block_size, (b.block + 1) * h.block_size);

  // zones before/after
  if (ep.before && ep.after) {
    h.have_zoneinfo = true;
    const auto& B = ep.before->zones;
    const auto& A = ep.after->zones;
    std::vector<std::pair<int32_t, std::string>> keys;
    for (const auto& z : A) keys.push_back({z.nid, z.name});
    for (const auto& z : B)
      if (!find_zone(A, z.nid, z.name)) keys.push_back({z.nid, z.name});
    uint64_t best_growth = 0;
    std::string grown_zone;
    int32_t grown_nid = -1;
    for (const auto& [nid, name] : keys) {
      HotAddZone hz;
      hz.nid = nid;
      hz.zone = name;
      hz.before = counters(find_zone(B, nid, name));
      hz.after = counters(find_zone(A, nid, name));
      if (same(hz.before, hz.after)) continue;
      hz.joined = hz.after.present > hz.before.present;
      hz.new_zone = hz.joined && hz.before.present == 0;
      h.present_delta += hz.present_delta();
      h.managed_delta += hz.managed_delta();
      if (hz.joined && hz.after.present - hz.before.present > best_growth) {
        best_growth = hz.after.present - hz.before.present;
        grown_zone = name;
        grown_nid = nid;
      }
      h.zones.push_back(std::move(hz));
    }
    if (layout_changed(B, A)) h.sources.insert(src::kZoneinfo);
    if (h.zone.empty() && !grown_zone.empty()) {
      h.zone = grown_zone;
      h.nid = grown_nid;
    }
    // the probe named the zone: make sure it is marked as joined
    for (auto& z : h.zones)
      if (z.nid == h.nid && z.zone == h.zone && z.after.present > z.before.present) z.joined = true;
  }
  // last resort for the zone: an online block's valid_zones names the zone it is in
  if (h.zone.empty())
    for (const auto& b : h.blocks)
      if (b.state == "online" && !b.valid_zones.empty() && b.valid_zones.find(' ') == std::string::npos &&
          b.valid_zones != "none")
        h.zone = b.valid_zones;

  bool adds = h.present_delta > 0;
  bool removes = h.present_delta < 0;
  for (const auto& b : h.blocks)
    for (const auto& a : b.actions) {
      adds = adds || a == "add" || a == "online";
      removes = removes || a == "offline" || a == "remove";
    }
  for (const auto& c : ep.calls)
    adds = adds || c.kind == HotplugCall::AddMemory || c.kind == HotplugCall::OnlinePages;
  h.kind = (removes && !adds) || h.present_delta < 0 ? "hot-remove" : "hot-add";

  if (ep.after && h.kind == "hot-add")
    h.hazards = hotadd_hazards(h, ep.after->zones, ep.after->min_free_kbytes, opt_.page_size);
  return h;
}

std::vector<HotAdd> HotAddTracker::findings() const {
  std::vector<HotAdd> out = settled_;
  if (auto o = open()) out.push_back(std::move(*o));
  return out;
}

std::optional<HotAdd> HotAddTracker::open() const {
  if (!open_) return std::nullopt;
  HotAdd h = finalize(*open_);
  h.settled = false;
  return h;
}

std::vector<HotAdd> HotAddTracker::take_settled() {
  std::vector<HotAdd> out(settled_.begin() + static_cast<std::ptrdiff_t>(taken_), settled_.end());
  taken_ = settled_.size();
  return out;
}

std::vector<Hazard> hotadd_hazards(const HotAdd& h, const std::vector<ZoneInfo>& all, int64_t min_free_kbytes,
                                   uint32_t page_size) {
  std::vector<Hazard> out;
  const bool xen = h.balloon_after.has_value() || h.sources.count(src::kBalloon);
  for (const auto& z : h.zones) {
    if (!z.joined) continue;
    const ZoneCounters& a = z.after;
    if (!a.exists || a.present == 0) continue;
    const std::string where =
        fmt("hot-add #%llu: node %d %s", (unsigned long long)h.id, z.nid, z.zone.c_str());

    // 1. pages present but not managed: still in the balloon (seed 000)
    if (a.managed * 16 <= a.present) {
      Hazard hz;
      hz.kind = "hotadd-ballooned-zone";
      hz.severity = a.managed < 1024 ? "critical" : "warning";
      hz.nid = z.nid;
      hz.zone = z.zone;
      hz.message = fmt(
          "%s now holds %llu present but only %llu managed pages (%.2f%%), watermarks %llu/%llu/%llu: the "
          "hot-added memory is%s still held back, the shape in which kswapd spun at 100%% CPU on Xen guests "
          "(LP#1518457)",
          where.c_str(), (unsigned long long)a.present, (unsigned long long)a.managed,
          100.0 * a.managed / a.present, (unsigned long long)a.min, (unsigned long long)a.low,
          (unsigned long long)a.high, xen ? " (by the Xen balloon)" : "");
      hz.advice =
          "size the guest so the balloon never hot-adds a sliver: keep the target at or below the boot "
          "maximum (dom0_mem=X,max:X for dom0; memory = maxmem for a domU), or raise it by whole 128 MiB "
          "sections; online hot-added blocks as movable (memhp_default_state=online_movable, "
          "memory_hotplug.online_policy=auto-movable, or `echo online_movable > .../memoryN/state`) so "
          "kernel allocations do not depend on the sliver. Kernels before 4.8 balanced every zone and "
          "livelocked here (Ubuntu's 4.4 fix treats low == high as balanced; 4.8 balances per node; 4.12 "
          "gives up after 16 failed kswapd passes)";
      hz.evidence = {
          {"present", a.present}, {"managed", a.managed}, {"min", a.min}, {"low", a.low}, {"high", a.high}};
      out.push_back(std::move(hz));
    }

    // 2. watermarks that round to nothing for the pages the zone manages
    ZoneInfo zi;
    zi.nid = z.nid;
    zi.name = z.zone;
    zi.managed = a.managed;
    const uint64_t expect = expected_min_pages(zi, all, min_free_kbytes, page_size);
    const bool zero = a.min == 0;
    const bool flat = a.low == a.high;
    const bool low_min = expect >= 16 && a.min * 4 < expect;
    if (a.managed > 0 && (zero || flat || low_min)) {
      Hazard hz;
      hz.kind = "hotadd-watermarks";
      const bool rounding = min_free_kbytes > 0 && expect < 16;  // too few managed pages for any reserve
      hz.severity = (zero || flat) && !rounding ? "critical" : "warning";
      hz.nid = z.nid;
      hz.zone = z.zone;
      if (rounding)
        hz.message =
            fmt("%s manages only %llu pages, so its watermarks round to min/low/high = %llu/%llu/%llu: no "
                "reserve "
                "and low == high, so any free page counts as balanced and allocations can empty it",
                where.c_str(), (unsigned long long)a.managed, (unsigned long long)a.min,
                (unsigned long long)a.low, (unsigned long long)a.high);
      else if (min_free_kbytes > 0)
        hz.message =
            fmt("%s manages %llu pages but its watermarks are min/low/high = %llu/%llu/%llu where "
                "min_free_kbytes "
                "implies a min of about %llu: they were computed before the new pages were managed and never "
                "redone",
                where.c_str(), (unsigned long long)a.managed, (unsigned long long)a.min,
                (unsigned long long)a.low, (unsigned long long)a.high, (unsigned long long)expect);
      else
        hz.message = fmt(
            "%s manages %llu pages but its watermarks are min/low/high = %llu/%llu/%llu: they were computed "
            "before the new pages were managed and never redone",
            where.c_str(), (unsigned long long)a.managed, (unsigned long long)a.min,
            (unsigned long long)a.low, (unsigned long long)a.high);
      hz.advice =
          "recompute the watermarks now: `kswaptrace fix-watermarks --apply` (writes the current "
          "vm.watermark_scale_factor back; onlining/offlining any block also does it). "
          "setup_per_zone_wmarks() runs once at online time; the Xen balloon, virtio-mem "
          "and hv_balloon release pages later through adjust_managed_page_count(), which does not redo "
          "the watermarks (6.1 and 6.12 measured; 9726891fe753, ~6.13, fixes only lowmem_reserve)";
      hz.evidence = {{"managed", a.managed}, {"present", a.present}, {"min", a.min},
                     {"low", a.low},         {"high", a.high},       {"expected_min", expect}};
      out.push_back(std::move(hz));
    }
  }
  return out;
}

}  // namespace kst
