#include "core/zone_settling.h"

namespace kst {

void ZoneSettling::on(TimeNs ts, const std::vector<ZoneInfo>& zones) {
  for (const ZoneInfo& z : zones) {
    auto [it, fresh] = zones_.try_emplace({z.nid, z.name});
    Entry& e = it->second;
    const bool moved = fresh ? seen_any_ && z.present > 0 : e.present != z.present || e.managed != z.managed;
    if (moved) {
      e.changed_ns = ts;
      e.changed = true;
    }
    e.present = z.present;
    e.managed = z.managed;
  }
  seen_any_ = true;
}

bool ZoneSettling::settling(int32_t nid, const std::string& zone, TimeNs now) const {
  auto it = zones_.find({nid, zone});
  if (it == zones_.end() || !it->second.changed) return false;
  return now < it->second.changed_ns + delay_ns_;
}

std::vector<SettlingZone> ZoneSettling::settling_zones(TimeNs now) const {
  std::vector<SettlingZone> out;
  for (const auto& [key, e] : zones_)
    if (settling(key.first, key.second, now))
      out.push_back({key.first, key.second, e.present, e.managed, e.changed_ns});
  return out;
}

std::vector<Hazard> ZoneSettling::settled_only(std::vector<Hazard> hazards, TimeNs now) const {
  const std::vector<SettlingZone> moving = settling_zones(now);
  std::vector<Hazard> out;
  for (Hazard& h : hazards) {
    bool wait = false;
    for (const SettlingZone& z : moving)
      wait = wait || (z.nid == h.nid && (h.zone.empty() || h.zone == z.zone));
    if (!wait) out.push_back(std::move(h));
  }
  return out;
}

}  // namespace kst
