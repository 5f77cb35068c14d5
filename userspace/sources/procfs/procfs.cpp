#include "sources/procfs/procfs.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/zones.h"

namespace kst {

std::optional<std::string> read_bounded(std::istream& in, std::string* why, size_t max_bytes) {
  std::string out;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      if (why) *why = "larger than " + std::to_string(max_bytes >> 20) + " MiB";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    if (why) *why = "read error";
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> read_text_file(const std::string& path, std::string* why, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (why) *why = std::strerror(errno);
    return std::nullopt;
  }
  return read_bounded(in, why, max_bytes);
}

VmstatSample parse_vmstat(const std::string& text) {
  VmstatSample s;
  std::istringstream in(text);
  std::string name;
  unsigned long long v;
  while (in >> name >> v) s.counters[name] = v;
  return s;
}

ZoneSample ProcReader::zones() const {
  auto zi = read_text_file(path("/proc/zoneinfo"));
  if (!zi) throw std::runtime_error("cannot read " + path("/proc/zoneinfo"));
  ZoneSample s;
  s.zones = parse_zoneinfo(*zi);
  if (auto bi = read_text_file(path("/proc/buddyinfo"))) merge_buddyinfo(s.zones, parse_buddyinfo(*bi));
  if (auto mf = read_text_file(path("/proc/sys/vm/min_free_kbytes"))) {
    try {
      s.min_free_kbytes = std::stoll(*mf);
    } catch (const std::exception&) {
      s.min_free_kbytes = -1;
    }
  }
  return s;
}

VmstatSample ProcReader::vmstat() const {
  auto t = read_text_file(path("/proc/vmstat"));
  if (!t) throw std::runtime_error("cannot read " + path("/proc/vmstat"));
  return parse_vmstat(*t);
}

namespace {

// One kswapdN thread from /proc/<pid>/{comm,stat}; false if `pid` is not one.
bool read_kswapd(const std::string& proc, const std::string& pid, KswapdCpuSample::Thread& t) {
  static const long ticks = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
  auto comm = read_text_file(proc + "/" + pid + "/comm");
  if (!comm || comm->rfind("kswapd", 0) != 0) return false;
  // "kswapd0\n"; on some kernels "kswapd0:0" for per-node threads
  int nid = 0;
  try {
    nid = std::stoi(comm->substr(6));
  } catch (const std::exception&) {
    return false;
  }
  auto stat = read_text_file(proc + "/" + pid + "/stat");
  if (!stat) return false;
  // fields after the ")" of comm: state(3) ... utime(14) stime(15)
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(stat->substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (in >> field); i++) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  t = {nid, std::atoi(pid.c_str()), (utime + stime) * 1000000000ull / ticks};
  return true;
}

}  // namespace

KswapdCpuSample ProcReader::kswapd_cpu() const {
  KswapdCpuSample s;
  const std::string proc = path("/proc");
  // the known threads, while they are all still there; a full scan every
  // 60 calls finds kswapd threads of hot-added nodes
  if (!kswapd_pids_.empty() && ++kswapd_calls_ % 60 != 0) {
    bool all = true;
    for (const auto& pid : kswapd_pids_) {
      KswapdCpuSample::Thread t;
      if (!(all = read_kswapd(proc, pid, t))) break;
      s.threads.push_back(t);
    }
    if (all) return s;
    s.threads.clear();
  }
  kswapd_pids_.clear();
  DIR* d = opendir(proc.c_str());
  if (!d) return s;
  while (dirent* ent = readdir(d)) {
    const char* n = ent->d_name;
    if (*n < '0' || *n > '9') continue;
    KswapdCpuSample::Thread t;
    if (!read_kswapd(proc, n, t)) continue;
    s.threads.push_back(t);
    kswapd_pids_.push_back(n);
  }
  closedir(d);
  return s;
}

std::string ProcReader::kernel_release() const {
  auto r = read_text_file(path("/proc/sys/kernel/osrelease"));
  if (!r) return "unknown";
  while (!r->empty() && (r->back() == '\n' || r->back() == ' ')) r->pop_back();
  return *r;
}

}  // namespace kst
