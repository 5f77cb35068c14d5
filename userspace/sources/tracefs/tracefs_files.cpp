#include "sources/tracefs/tracefs_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "sources/bpf/bpf_tracer.h"  // TraceError

namespace kst {
namespace {

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    closedir(d);
  }
  return out;
}

// Every trigger line of an event's trigger file, removed by writing it back
// prefixed with '!' (Documentation/trace/events.rst, "Event triggers").
void clear_triggers(const std::string& trigger_file) {
  std::ifstream in(trigger_file);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  for (std::string l : lines) {
    const size_t act = l.find(" [active]");
    if (act != std::string::npos) l.erase(act);
    const int fd = open(trigger_file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    const std::string cmd = "!" + l;
    (void)!write(fd, cmd.data(), cmd.size());
    close(fd);
  }
}

}  // namespace

bool instance_owner(const std::string& name, int* pid) {
  static const std::string prefix = "kswaptrace-";
  if (name.compare(0, prefix.size(), prefix) != 0 || name.size() == prefix.size() ||
      name.size() > prefix.size() + 10)
    return false;
  long v = 0;
  for (size_t i = prefix.size(); i < name.size(); i++) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + (name[i] - '0');
  }
  if (v <= 0 || v > 0x7fffffff) return false;
  *pid = static_cast<int>(v);
  return true;
}

bool write_instance_file(const std::string& dir, const std::string& file, const std::string& value,
                         bool must) {
  const std::string path = dir + "/" + file;
  const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  bool ok = fd >= 0 && write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  const int err = errno;
  if (fd >= 0) close(fd);
  if (!ok && must) throw TraceError("cannot write '" + value + "' to " + path + ": " + strerror(err));
  return ok;
}

long read_instance_number(const std::string& dir, const std::string& file, long fallback) {
  std::ifstream f(dir + "/" + file);
  long v = 0;
  if (f >> v) return v;
  return fallback;
}

bool destroy_instance_dir(const std::string& dir) {
  if (access(dir.c_str(), F_OK) != 0) return true;
  write_instance_file(dir, "tracing_on", "0", false);
  write_instance_file(dir, "events/enable", "0", false);
  for (const std::string& sys : subdirs(dir + "/events"))
    for (const std::string& ev : subdirs(dir + "/events/" + sys)) {
      const std::string trig = dir + "/events/" + sys + "/" + ev + "/trigger";
      std::ifstream probe(trig);
      std::string first;
      std::getline(probe, first);
      std::string rest;
      if (std::getline(probe, rest) || (!first.empty() && first[0] != '#')) clear_triggers(trig);
    }
  return rmdir(dir.c_str()) == 0 || errno == ENOENT;
}

uint64_t instance_lost_events(const std::string& dir) {
  uint64_t lost = 0;
  for (const std::string& cpu : subdirs(dir + "/per_cpu")) {
    std::ifstream f(dir + "/per_cpu/" + cpu + "/stats");
    std::string line;
    while (std::getline(f, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = line.substr(0, colon);
      if (key == "overrun" || key == "dropped events")
        lost += std::strtoull(line.c_str() + colon + 1, nullptr, 10);
    }
  }
  return lost;
}

std::optional<uint32_t> gfp_bit_from_print_fmt(const std::string& fmt, const std::string& name) {
  const std::string quoted = "\"" + name + "\"";
  const size_t at = fmt.find(quoted);
  if (at == std::string::npos) return std::nullopt;
  const size_t open = fmt.rfind('{', at);
  if (open == std::string::npos) return std::nullopt;
  const std::string entry = fmt.substr(open, at - open);
  std::smatch m;
  static const std::regex shift(R"(<<\s*\(?\s*(\d+)\s*\)?)");
  static const std::regex hex(R"(0x([0-9a-fA-F]+))");
  if (std::regex_search(entry, m, shift)) {
    const unsigned long bit = std::stoul(m[1]);
    if (bit < 64) return static_cast<uint32_t>(bit);
    return std::nullopt;
  }
  if (std::regex_search(entry, m, hex)) {
    const unsigned long long v = std::stoull(m[1], nullptr, 16);
    if (v && !(v & (v - 1))) return static_cast<uint32_t>(__builtin_ctzll(v));
  }
  return std::nullopt;
}

std::optional<uint32_t> gfp_bit_from_format(const std::string& tracing_dir, const std::string& name) {
  std::ifstream f(tracing_dir + "/events/kmem/mm_page_alloc/format");
  std::stringstream ss;
  ss << f.rdbuf();
  return gfp_bit_from_print_fmt(ss.str(), name);
}

}  // namespace kst
