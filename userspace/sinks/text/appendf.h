#pragma once

#include <string>

namespace kst {

// printf into the end of `s` (one formatted piece of a text report; pieces
// longer than 1023 bytes are cut, which no report line comes near).
void appendf(std::string& s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace kst
