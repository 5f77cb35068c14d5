#include "sinks/html/html_escape.h"

#include "core/untrusted_text.h"

namespace kst {

std::string html_escape(std::string_view s) {
  const std::string safe = terminal_safe(s, false);
  std::string out;
  out.reserve(safe.size() + 16);
  for (const char c : safe) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_json(const nlohmann::json& j) {
  // '<', '>' and '&' can only occur inside JSON strings, where \uXXXX means the same character
  const std::string text = json_text(j);
  std::string out;
  out.reserve(text.size() + 64);
  for (const char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace kst
