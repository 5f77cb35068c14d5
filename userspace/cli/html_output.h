// Writing the HTML report (`report --html -o FILE`, the one-shot's --html FILE).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sinks/html/html_report.h"

namespace kst::cli {

// Renders the page and writes it to `path` ("-": stdout); prints what it
// wrote on stderr. Returns an exit code (a one-line error when it fails).
int write_html(const std::string& path, const nlohmann::json& report, const HtmlSeries& series,
               const PageContext& ctx);

}  // namespace kst::cli
