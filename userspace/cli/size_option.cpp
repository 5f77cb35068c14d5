#include "cli/size_option.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace kst::cli {

// "65536", "256k", "64M", "64MiB", "1G" (binary multiples)
bool parse_size(const std::string& s, uint64_t& out) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(s, &pos);
  } catch (const std::exception&) {
    return false;
  }
  std::string unit = s.substr(pos);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.ends_with("IB"))
    unit.resize(unit.size() - 2);
  else if (unit.size() == 2 && unit[1] == 'B')
    unit.resize(1);
  double mul = 1;
  if (unit == "K")
    mul = 1024.0;
  else if (unit == "M")
    mul = 1024.0 * 1024;
  else if (unit == "G")
    mul = 1024.0 * 1024 * 1024;
  else if (!unit.empty() && unit != "B")
    return false;
  if (!(v > 0) || !std::isfinite(v)) return false;
  const double bytes = v * mul;
  // 2^63: a double this large no longer converts to uint64_t (and no disk holds it)
  if (!(bytes < 9223372036854775808.0)) return false;
  out = static_cast<uint64_t>(bytes);
  return true;
}

std::string size_option_error(const std::string& name, const std::string& s, uint64_t& out, uint64_t min) {
  if (parse_size(s, out))
    return out >= min ? "" : name + " must be at least " + std::to_string(min >> 10) + " KiB";
  uint64_t probe = 0;
  // a well-formed number with a valid unit that is too large: say so, not "cannot parse"
  std::string digits = s;
  while (!digits.empty() && !std::isdigit(static_cast<unsigned char>(digits.back()))) digits.pop_back();
  if (!digits.empty() && parse_size(digits.substr(0, 1) + s.substr(digits.size()), probe))
    return name + ": '" + s + "' is too large (at most 8 EiB)";
  return name + ": cannot parse '" + s + "' (e.g. 64M, 512k, 1G)";
}

std::string mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MiB", b / 1048576.0);
  return buf;
}

}  // namespace kst::cli
