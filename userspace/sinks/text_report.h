// Summary -> the human-readable report of the one-shot command and `report`.
#pragma once

#include <string>

#include "core/hazards.h"
#include "core/summary.h"
#include "core/zones.h"

namespace kst {

std::string render_text(const Summary& s);
std::string render_zone_table(const std::vector<ZoneInfo>& zones);
std::string render_hazards(const std::vector<Hazard>& hazards);

}  // namespace kst
