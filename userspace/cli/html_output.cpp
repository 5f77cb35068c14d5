#include "cli/html_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "core/untrusted_text.h"

namespace kst::cli {

namespace {

// "" or why not
std::string write_all(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + path + ": " + std::strerror(errno);
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = errno;
      ::close(fd);
      return "cannot write " + path + ": " + std::strerror(err);
    }
    off += static_cast<size_t>(w);
  }
  if (::close(fd) != 0) return "cannot write " + path + ": " + std::strerror(errno);
  return {};
}

}  // namespace

int write_html(const std::string& path, const nlohmann::json& report, const HtmlSeries& series,
               const PageContext& ctx) {
  const std::string page = render_html(report, series, ctx);
  if (path == "-") {
    std::cout << page;
    std::cout.flush();
    return kExitOk;
  }
  if (const std::string err = write_all(path, page); !err.empty()) return fail(terminal_safe(err));
  std::cerr << "kswaptrace: wrote the HTML report (" << (page.size() + 1023) / 1024 << " KiB) to "
            << terminal_safe(path) << "\n";
  return kExitOk;
}

}  // namespace kst::cli
