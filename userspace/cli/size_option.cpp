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
  out = static_cast<uint64_t>(v * mul);
  return true;
}

std::string mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MiB", b / 1048576.0);
  return buf;
}

}  // namespace kst::cli
