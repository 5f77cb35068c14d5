// Summary -> JSON (shape documented in docs/output.md).
#pragma once

#include <nlohmann/json.hpp>

#include "core/hazards.h"
#include "core/histogram.h"
#include "core/summary.h"
#include "core/zones.h"

namespace kst {

nlohmann::json to_json(const Log2Histogram& h, const char* unit);
nlohmann::json to_json(const ZoneInfo& z);
nlohmann::json to_json(const Hazard& h);
nlohmann::json to_json(const Summary& s);

}  // namespace kst
