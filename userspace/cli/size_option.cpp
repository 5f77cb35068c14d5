#include "cli/size_option.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace kst::cli {

namespace {

// 2^63: a double this large no longer converts to uint64_t (and no disk holds it)
constexpr double kTooLarge = 9223372036854775808.0;

// The bytes S names ("65536", "256k", "64M", "64MiB", "1G": binary
// multiples), +inf when its number is beyond a double; nullopt when S is not
// a positive size.
std::optional<double> size_bytes(const std::string& s) {
  const char* text = s.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (end == text) return std::nullopt;
  // ERANGE with HUGE_VAL: digits beyond a double (a size, too large);
  // "inf" or "nan" spelled out: not a size
  if (std::isinf(v) && errno != ERANGE) return std::nullopt;
  const size_t pos = static_cast<size_t>(end - text);
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
    return std::nullopt;
  if (!(v > 0)) return std::nullopt;  // NaN fails the comparison too
  return v * mul;
}

}  // namespace

bool parse_size(const std::string& s, uint64_t& out) {
  const std::optional<double> bytes = size_bytes(s);
  if (!bytes || !(*bytes < kTooLarge)) return false;
  out = static_cast<uint64_t>(*bytes);
  return true;
}

std::string size_option_error(const std::string& name, const std::string& s, uint64_t& out, uint64_t min) {
  const std::optional<double> bytes = size_bytes(s);
  if (!bytes) return name + ": cannot parse '" + s + "' (e.g. 64M, 512k, 1G)";
  if (!(*bytes < kTooLarge)) return name + ": '" + s + "' is too large (at most 8 EiB)";
  out = static_cast<uint64_t>(*bytes);
  return out >= min ? "" : name + " must be at least " + std::to_string(min >> 10) + " KiB";
}

std::string mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MiB", b / 1048576.0);
  return buf;
}

}  // namespace kst::cli
