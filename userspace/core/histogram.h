// Power-of-two histogram, rendered in the BCC "usecs : count | distribution |" style.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace kst {

class Log2Histogram {
 public:
  static constexpr int kSlots = 64;

  // Slot i holds values in [2^i, 2^(i+1) - 1]; slot 0 also holds 0.
  static int slot_of(uint64_t value);
  static uint64_t slot_low(int slot) { return slot == 0 ? 0 : (uint64_t{1} << slot); }
  static uint64_t slot_high(int slot) { return slot == 63 ? UINT64_MAX : (uint64_t{1} << (slot + 1)) - 1; }

  void add(uint64_t value, uint64_t n = 1);
  void merge(const Log2Histogram& other);
  uint64_t count(int slot) const { return slots_[slot]; }
  uint64_t total() const { return total_; }
  uint64_t sum() const { return sum_; }
  uint64_t max() const { return max_; }
  bool empty() const { return total_ == 0; }
  // Highest non-empty slot, -1 when empty.
  int last_slot() const;
  // Value below which q (0..1) of the samples fall, estimated as the upper
  // edge of the slot that crosses q.
  uint64_t quantile_upper(double q) const;

  // Renders rows "        lo -> hi         : count    |****      |".
  std::string render(const std::string& unit) const;

 private:
  std::array<uint64_t, kSlots> slots_{};
  uint64_t total_ = 0, sum_ = 0, max_ = 0;
};

}  // namespace kst
