// Sizes on the command line (--max-size of `record` and `agent`).
#pragma once

#include <cstdint>
#include <string>

namespace kst::cli {

// "65536", "256k", "64M", "64MiB", "1G" (binary multiples); false when unparsable.
bool parse_size(const std::string& s, uint64_t& out);
// parse_size for option NAME: "" when S is a size of at least MIN bytes (in
// OUT), else the one-line error: unparsable, below MIN, or beyond what 64
// bits of bytes hold.
std::string size_option_error(const std::string& name, const std::string& s, uint64_t& out, uint64_t min = 1);
// "12.34 MiB"
std::string mib(uint64_t b);

}  // namespace kst::cli
