// Readers of /proc and /sys files, producing event-model samples.
// `root` prefixes every path so tests can point at a captured tree.
#pragma once

#include <istream>
#include <optional>
#include <string>

#include "core/event.h"

namespace kst {

// Whole file, or nullopt if it cannot be read or holds more than max_bytes
// (/dev/zero, an endless pipe: the limit is checked while reading, so memory
// never grows past it); `why` then says which.
constexpr size_t kMaxTextFile = 16u << 20;
std::optional<std::string> read_text_file(const std::string& path, std::string* why = nullptr,
                                          size_t max_bytes = kMaxTextFile);
// The same for a stream (stdin).
std::optional<std::string> read_bounded(std::istream& in, std::string* why, size_t max_bytes = kMaxTextFile);

class ProcReader {
 public:
  explicit ProcReader(std::string root = "") : root_(std::move(root)) {}

  // /proc/zoneinfo + /proc/buddyinfo + vm.min_free_kbytes. Throws ParseError
  // (or std::runtime_error when zoneinfo is unreadable).
  ZoneSample zones() const;
  // /proc/vmstat; throws std::runtime_error when unreadable.
  VmstatSample vmstat() const;
  // kswapdN threads found in /proc/*/comm, with cumulative CPU time.
  KswapdCpuSample kswapd_cpu() const;
  std::string kernel_release() const;

 private:
  std::string path(const char* p) const { return root_ + p; }
  std::string root_;
  // kswapd pids of the last full /proc scan: `watch` samples every second,
  // and reading every /proc/*/comm each time costs on busy hosts
  mutable std::vector<std::string> kswapd_pids_;
  mutable unsigned kswapd_calls_ = 0;
};

// Parses "/proc/vmstat" text ("name value" lines).
VmstatSample parse_vmstat(const std::string& text);

}  // namespace kst
