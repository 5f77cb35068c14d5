// Sizes on the command line (--max-size of `record` and `agent`).
#pragma once

#include <cstdint>
#include <string>

namespace kst::cli {

// "65536", "256k", "64M", "64MiB", "1G" (binary multiples); false when unparsable.
bool parse_size(const std::string& s, uint64_t& out);
// "12.34 MiB"
std::string mib(uint64_t b);

}  // namespace kst::cli
