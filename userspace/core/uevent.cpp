#include "core/uevent.h"

#include <charconv>

namespace kst {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Uevent> parse_uevent(std::string_view payload) {
  // the header is the first NUL-terminated field and must look like action@/devpath
  size_t end = payload.find('\0');
  std::string_view header = payload.substr(0, end);
  size_t at = header.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= header.size() || header[at + 1] != '/')
    return std::nullopt;
  Uevent u;
  u.action = std::string(header.substr(0, at));
  u.devpath = std::string(header.substr(at + 1));
  size_t pos = end == std::string_view::npos ? payload.size() : end + 1;
  while (pos < payload.size()) {
    size_t e = payload.find('\0', pos);
    if (e == std::string_view::npos) e = payload.size();
    std::string_view field = payload.substr(pos, e - pos);
    pos = e + 1;
    size_t eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    u.env[std::string(field.substr(0, eq))] = std::string(field.substr(eq + 1));
  }
  if (auto it = u.env.find("ACTION"); it != u.env.end()) u.action = it->second;
  if (auto it = u.env.find("DEVPATH"); it != u.env.end()) u.devpath = it->second;
  if (auto it = u.env.find("SUBSYSTEM"); it != u.env.end()) u.subsystem = it->second;
  if (auto it = u.env.find("SEQNUM"); it != u.env.end()) {
    const std::string& v = it->second;
    std::from_chars(v.data(), v.data() + v.size(), u.seqnum);
  }
  return u;
}

std::optional<MemoryBlockEvent> memory_block_from_uevent(const Uevent& u) {
  if (u.subsystem != "memory") return std::nullopt;
  size_t slash = u.devpath.rfind('/');
  std::string_view leaf = std::string_view(u.devpath).substr(slash == std::string::npos ? 0 : slash + 1);
  if (leaf.rfind("memory", 0) != 0 || leaf.size() == 6) return std::nullopt;
  std::string_view num = leaf.substr(6);
  MemoryBlockEvent m;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), m.block);
  if (ec != std::errc() || p != num.data() + num.size()) return std::nullopt;
  m.action = u.action;
  m.seqnum = u.seqnum;
  return m;
}

std::optional<uint64_t> parse_sysfs_hex(std::string_view text) {
  text = trim(text);
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) text.remove_prefix(2);
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace kst
