#include "sinks/html/html_series.h"

#include <algorithm>
#include <cmath>

#include "core/untrusted_text.h"

namespace kst {

namespace {

constexpr size_t kMaxMarks = 2000;  // uevents of a big hot-add: one mark per block is plenty

const char* hotplug_kind(HotplugCall::Kind k) {
  switch (k) {
    case HotplugCall::AddMemory: return "add_memory";
    case HotplugCall::OnlinePages: return "online_pages";
    case HotplugCall::SetupWmarks: return "setup_per_zone_wmarks";
    case HotplugCall::ZoneWmarks: return "zone watermarks";
    case HotplugCall::LowmemReserve: return "lowmem_reserve";
  }
  return "hotplug";
}

template <class T>
T& at(std::vector<T>& v, size_t i) {
  if (v.size() <= i) v.resize(i + 1);
  return v[i];
}

// Awake time of [from, to) spread over the slots it covers.
void add_awake(std::vector<SeriesBin>& bins, TimeNs origin, TimeNs res, TimeNs from, TimeNs to) {
  from = std::max(from, origin);
  while (from < to) {
    const size_t i = static_cast<size_t>((from - origin) / res);
    const TimeNs upto = std::min(to, origin + (i + 1) * res);
    at(bins, i).awake_s += static_cast<double>(upto - from) / 1e9;
    from = upto;
  }
}

}  // namespace

HtmlSeriesBuilder::HtmlSeriesBuilder(TimeNs resolution_ns, size_t max_bins)
    : res_(resolution_ns ? resolution_ns : 1), max_bins_(max_bins ? max_bins : 1) {}

size_t HtmlSeriesBuilder::slot(TimeNs ts) {
  if (!have_origin_) {
    have_origin_ = true;
    origin_ = ts;
  }
  last_ts_ = std::max(last_ts_, ts);
  return ts <= origin_ ? 0 : static_cast<size_t>((ts - origin_) / res_);
}

void HtmlSeriesBuilder::on_alloc(TimeNs ts, const AllocCounters& a) {
  AllocAt s{ts, {}};
  for (const auto& c : a.cells) at(s.calls, c.order) += c.calls;
  alloc_.push_back(std::move(s));
}

void HtmlSeriesBuilder::on_event(const Event& e) {
  const size_t i = slot(e.ts);
  if (const auto* w = std::get_if<KswapdWake>(&e.data)) {
    at(nodes_[w->nid], i).wakes++;
    awake_since_.try_emplace(w->nid, e.ts);
  } else if (const auto* s = std::get_if<KswapdSleep>(&e.data)) {
    auto it = awake_since_.find(s->nid);
    if (it != awake_since_.end()) {
      add_awake(nodes_[s->nid], origin_, res_, it->second, e.ts);
      awake_since_.erase(it);
    }
  } else if (const auto* d = std::get_if<DirectReclaim>(&e.data)) {
    StallBin& b = at(stalls_, slot(std::max(d->end_ns, origin_)));
    const uint64_t us = d->end_ns > d->begin_ns ? (d->end_ns - d->begin_ns) / 1000 : 0;
    if (d->memcg) {
      b.memcg++;
      b.memcg_max_us = std::max(b.memcg_max_us, us);
    } else {
      b.direct++;
      b.direct_max_us = std::max(b.direct_max_us, us);
    }
  } else if (const auto* z = std::get_if<ZoneSample>(&e.data)) {
    for (const auto& zi : z->zones)
      zones_[{zi.nid, zi.name}].push_back({e.ts, ZonePoint{0, zi.free, zi.min, zi.low, zi.high}});
  } else if (const auto* a = std::get_if<AllocCounters>(&e.data)) {
    on_alloc(e.ts, *a);
  } else if (const auto* m = std::get_if<MemoryBlockEvent>(&e.data)) {
    if (marks_.size() < kMaxMarks)
      marks_.emplace_back(e.ts, "memory" + std::to_string(m->block) + " " + to_valid_utf8(m->action));
    else
      marks_dropped_++;
  } else if (const auto* h = std::get_if<HotplugCall>(&e.data)) {
    if (h->kind != HotplugCall::AddMemory && h->kind != HotplugCall::OnlinePages) return;
    if (marks_.size() < kMaxMarks)
      marks_.emplace_back(e.ts, std::string(hotplug_kind(h->kind)) + " node " + std::to_string(h->nid));
    else
      marks_dropped_++;
  }
}

HtmlSeries HtmlSeriesBuilder::finish(TimeNs start, TimeNs end) const {
  HtmlSeries out;
  end = std::max(end, start);
  out.duration_s = static_cast<double>(end - start) / 1e9;
  const size_t slots = std::max<size_t>(1, static_cast<size_t>((end - start + res_ - 1) / res_));
  const size_t merge = (slots + max_bins_ - 1) / max_bins_;
  const TimeNs bin_ns = merge * res_;
  const size_t nbins = std::max<size_t>(1, static_cast<size_t>((end - start + bin_ns - 1) / bin_ns));
  out.bin_s = static_cast<double>(bin_ns) / 1e9;
  // the output bin of an absolute time; -1 outside the window
  const auto bin_of = [&](TimeNs ts) -> long {
    if (ts < start || ts > end) return -1;
    return static_cast<long>(std::min<TimeNs>((ts - start) / bin_ns, nbins - 1));
  };
  const auto rel = [&](TimeNs ts) { return (static_cast<double>(ts) - static_cast<double>(start)) / 1e9; };

  // episodes still open at the end count up to it
  std::map<int32_t, std::vector<SeriesBin>> nodes = nodes_;
  for (const auto& [nid, since] : awake_since_) add_awake(nodes[nid], origin_, res_, since, end);
  for (const auto& [nid, bins] : nodes) {
    auto& o = out.nodes[nid];
    o.resize(nbins);
    for (size_t i = 0; i < bins.size(); i++) {
      const long b = bin_of(origin_ + i * res_);
      if (b < 0) continue;
      o[b].awake_s += bins[i].awake_s;
      o[b].wakes += bins[i].wakes;
    }
  }
  out.stalls.resize(nbins);
  for (size_t i = 0; i < stalls_.size(); i++) {
    const long b = bin_of(origin_ + i * res_);
    if (b < 0) continue;
    auto& o = out.stalls[b];
    o.direct += stalls_[i].direct;
    o.memcg += stalls_[i].memcg;
    o.direct_max_us = std::max(o.direct_max_us, stalls_[i].direct_max_us);
    o.memcg_max_us = std::max(o.memcg_max_us, stalls_[i].memcg_max_us);
  }
  // zones: at most one point per bin, the one with the least free memory (dips matter)
  for (const auto& [key, pts] : zones_) {
    ZoneSeries zs{key.first, key.second, {}};
    long last_bin = -2;
    for (const auto& [ts, p] : pts) {
      const long b = bin_of(ts);
      if (b < 0) continue;
      ZonePoint q = p;
      q.t = rel(ts);
      if (b == last_bin && !zs.points.empty()) {
        if (q.free < zs.points.back().free) zs.points.back() = q;
      } else {
        zs.points.push_back(q);
      }
      last_bin = b;
    }
    out.zones.push_back(std::move(zs));
  }
  // allocations: per-order rates between consecutive samples, summed per bin
  std::vector<std::vector<double>> calls(nbins);
  std::vector<double> secs(nbins, 0);
  std::vector<double> bin_t(nbins, -1);
  for (size_t i = 1; i < alloc_.size(); i++) {
    const auto& a = alloc_[i - 1];
    const auto& b = alloc_[i];
    const long k = bin_of(b.ts);
    if (k < 0 || b.ts <= a.ts || a.ts < start) continue;
    bool reset = false;  // a restarted recorder starts its counters again
    for (size_t o = 0; o < a.calls.size(); o++)
      if (o >= b.calls.size() || b.calls[o] < a.calls[o]) reset = true;
    if (reset) continue;
    auto& c = calls[k];
    if (c.size() < b.calls.size()) c.resize(b.calls.size());
    for (size_t o = 0; o < b.calls.size(); o++)
      c[o] += static_cast<double>(b.calls[o] - (o < a.calls.size() ? a.calls[o] : 0));
    secs[k] += static_cast<double>(b.ts - a.ts) / 1e9;
    bin_t[k] = rel(b.ts);
    out.max_order = std::max(out.max_order, static_cast<int>(b.calls.size()) - 1);
  }
  for (size_t k = 0; k < nbins; k++) {
    if (secs[k] <= 0) continue;
    AllocPoint p{bin_t[k], {}};
    for (double c : calls[k]) p.per_s.push_back(c / secs[k]);
    out.alloc.push_back(std::move(p));
  }
  for (const auto& [ts, label] : marks_)
    if (bin_of(ts) >= 0) out.hotadd.push_back({rel(ts), label});
  out.hotadd_marks_dropped = marks_dropped_;
  return out;
}

nlohmann::json to_json(const HtmlSeries& s) {
  using nlohmann::json;
  json j = {{"duration_s", s.duration_s}, {"bin_s", s.bin_s}, {"max_order", s.max_order}};
  json nodes = json::array();
  for (const auto& [nid, bins] : s.nodes) {
    json awake = json::array(), wakes = json::array();
    for (const auto& b : bins) {
      awake.push_back(std::round(b.awake_s * 1e6) / 1e6);
      wakes.push_back(b.wakes);
    }
    nodes.push_back({{"nid", nid}, {"awake_s", awake}, {"wakes", wakes}});
  }
  j["nodes"] = nodes;
  json d = json::array(), m = json::array(), dmax = json::array(), mmax = json::array();
  for (const auto& b : s.stalls) {
    d.push_back(b.direct);
    m.push_back(b.memcg);
    dmax.push_back(b.direct_max_us);
    mmax.push_back(b.memcg_max_us);
  }
  j["stalls"] = {{"direct", d}, {"memcg", m}, {"direct_max_us", dmax}, {"memcg_max_us", mmax}};
  json zones = json::array();
  for (const auto& z : s.zones) {
    json t = json::array(), f = json::array(), mi = json::array(), lo = json::array(), hi = json::array();
    for (const auto& p : z.points) {
      t.push_back(std::round(p.t * 1e3) / 1e3);
      f.push_back(p.free);
      mi.push_back(p.min);
      lo.push_back(p.low);
      hi.push_back(p.high);
    }
    zones.push_back(
        {{"nid", z.nid}, {"zone", z.zone}, {"t", t}, {"free", f}, {"min", mi}, {"low", lo}, {"high", hi}});
  }
  j["zones"] = zones;
  json at = json::array(), by = json::array();
  for (const auto& p : s.alloc) {
    at.push_back(std::round(p.t * 1e3) / 1e3);
    json r = json::array();
    for (double x : p.per_s) r.push_back(std::round(x * 10) / 10);
    by.push_back(r);
  }
  j["alloc"] = {{"t", at}, {"per_s_by_order", by}};
  json marks = json::array();
  for (const auto& mk : s.hotadd) marks.push_back({{"t", std::round(mk.t * 1e3) / 1e3}, {"label", mk.label}});
  j["hotadd_marks"] = marks;
  j["hotadd_marks_dropped"] = s.hotadd_marks_dropped;
  return j;
}

}  // namespace kst
