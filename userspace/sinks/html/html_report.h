// `report --html` / `kswaptrace -d N --html FILE`: one self-contained HTML
// page (inline CSS and SVG, no script needed, no network) for an incident
// ticket. Its numbers are those of the report JSON (mapped in html_model);
// its time series come from html_series. Both are embedded as
// <script type="application/json" id="kst-report"> / id="kst-series".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sinks/html/html_model.h"
#include "sinks/html/html_series.h"

namespace kst {

std::string render_html(const nlohmann::json& report, const HtmlSeries& series, const PageContext& ctx);

}  // namespace kst
