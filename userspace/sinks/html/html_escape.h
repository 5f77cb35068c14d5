// Escaping for the HTML report. Every string on the page that came from a
// recording or the kernel (process names, zone names, messages, host names)
// is untrusted: it may hold markup, invalid UTF-8 or control characters.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kst {

// Text for an HTML element body or a quoted attribute value: valid UTF-8,
// control characters and invalid bytes shown as "\xNN" (core/untrusted_text
// terminal_safe), then & < > " ' as character references.
std::string html_escape(std::string_view s);

// JSON for the body of <script type="application/json">: one line, valid
// UTF-8, with < > & written as \u003c \u003e \u0026 so that no string in it
// can close the script element ("</script>") or open a comment ("<!--").
// JSON.parse() of the element's text gives back the same object.
std::string script_json(const nlohmann::json& j);

}  // namespace kst
