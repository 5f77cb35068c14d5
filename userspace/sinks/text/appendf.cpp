#include "sinks/text/appendf.h"

#include <cstdarg>
#include <cstdio>

namespace kst {

void appendf(std::string& s, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  s += buf;
}

}  // namespace kst
