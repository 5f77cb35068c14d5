// Strings that come from the kernel (process names: any user can set them
// with prctl(PR_SET_NAME)) or from files (recordings, reports) are
// untrusted: they may hold invalid UTF-8 and terminal control sequences.
// Every writer of JSON or text passes them through here, so that invalid
// bytes never throw in the JSON library and escape sequences never reach a
// terminal raw.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kst {

// Valid UTF-8: each byte that does not start or continue a valid sequence
// (overlong forms, surrogates and code points above U+10FFFF included)
// becomes U+FFFD. Valid input is returned unchanged.
std::string to_valid_utf8(std::string_view s);

// For a terminal: valid UTF-8 with every control character escaped. C0
// controls (except newline and tab when `keep_layout`), DEL and the C1
// controls U+0080..U+009F become "\xNN"; an invalid byte becomes "\xNN" as
// well, so what was there stays visible.
std::string terminal_safe(std::string_view s, bool keep_layout = true);

// json.dump() that never throws on invalid UTF-8 in a string (replaced by
// U+FFFD); indent < 0 gives one line.
std::string json_text(const nlohmann::json& j, int indent = -1);

}  // namespace kst
