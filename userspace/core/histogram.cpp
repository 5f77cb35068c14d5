#include "core/histogram.h"

#include <algorithm>
#include <cstdio>

namespace kst {

int Log2Histogram::slot_of(uint64_t value) {
  if (value <= 1) return 0;
  return 63 - __builtin_clzll(value);
}

void Log2Histogram::add(uint64_t value, uint64_t n) {
  slots_[slot_of(value)] += n;
  total_ += n;
  sum_ += value * n;
  max_ = std::max(max_, value);
}

void Log2Histogram::merge(const Log2Histogram& o) {
  for (int i = 0; i < kSlots; i++) slots_[i] += o.slots_[i];
  total_ += o.total_;
  sum_ += o.sum_;
  max_ = std::max(max_, o.max_);
}

int Log2Histogram::last_slot() const {
  for (int i = kSlots - 1; i >= 0; i--)
    if (slots_[i]) return i;
  return -1;
}

uint64_t Log2Histogram::quantile_upper(double q) const {
  if (total_ == 0) return 0;
  const double want = q * static_cast<double>(total_);
  uint64_t seen = 0;
  for (int i = 0; i < kSlots; i++) {
    seen += slots_[i];
    if (static_cast<double>(seen) >= want && slots_[i]) return std::min(slot_high(i), max_);
  }
  return max_;
}

std::string Log2Histogram::render(const std::string& unit) const {
  constexpr int kStars = 40;
  std::string out;
  const int last = last_slot();
  if (last < 0) return out;
  uint64_t peak = 0;
  for (int i = 0; i <= last; i++) peak = std::max(peak, slots_[i]);
  char line[256];
  std::snprintf(line, sizeof line, "%24s : count    distribution\n", unit.c_str());
  out += line;
  for (int i = 0; i <= last; i++) {
    const int stars = peak ? static_cast<int>((slots_[i] * kStars + peak - 1) / peak) : 0;
    std::string bar(static_cast<size_t>(stars), '*');
    bar.resize(kStars, ' ');
    std::snprintf(line, sizeof line, "%10llu -> %-10llu : %-8llu |%s|\n",
                  static_cast<unsigned long long>(slot_low(i)), static_cast<unsigned long long>(slot_high(i)),
                  static_cast<unsigned long long>(slots_[i]), bar.c_str());
    out += line;
  }
  return out;
}

}  // namespace kst
