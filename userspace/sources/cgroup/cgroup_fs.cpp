#include "sources/cgroup/cgroup_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace kst {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool has_token(const std::string& list, const std::string& tok, char sep) {
  std::stringstream ss(list);
  std::string t;
  while (std::getline(ss, t, sep))
    if (t == tok) return true;
  return false;
}

std::string real(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

bool is_cgroup_fs(const std::string& p) {
  struct statfs sf;
  if (statfs(p.c_str(), &sf) != 0) return false;
  return sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC;
}

// Every directory below DIR (REL is its path in the hierarchy): id -> path.
// Bounded in depth and count: the walk runs on the tracing thread.
void walk(int dirfd, const std::string& rel, int depth, std::unordered_map<uint64_t, std::string>& out) {
  DIR* d = fdopendir(dirfd);
  if (!d) {
    close(dirfd);
    return;
  }
  while (dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (depth >= 64 || out.size() >= 200000) break;
    const int fd = openat(::dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      continue;
    }
    const std::string path = (rel == "/" ? "" : rel) + "/" + e->d_name;
    out[st.st_ino] = path;
    walk(fd, path, depth + 1, out);
  }
  closedir(d);
}

}  // namespace

std::optional<MemcgHierarchy> find_memcg_hierarchy(const std::string& mountinfo) {
  std::ifstream in(mountinfo);
  std::string line;
  std::optional<MemcgHierarchy> v2;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> f;
    std::string w;
    while (ls >> w) f.push_back(w);
    size_t sep = 0;
    while (sep < f.size() && f[sep] != "-") sep++;
    // fields: id parent dev root mountpoint options [optional...] - fstype source superoptions
    if (sep < 5 || sep + 3 >= f.size()) continue;
    const std::string& fstype = f[sep + 1];
    const std::string mount = unescape(f[4]);
    if (fstype == "cgroup" && has_token(f[sep + 3], "memory", ',')) return MemcgHierarchy{mount, 1};
    if (fstype == "cgroup2" && !v2) {
      std::ifstream c(mount + "/cgroup.controllers");
      std::string ctl;
      while (c >> ctl)
        if (ctl == "memory") v2 = MemcgHierarchy{mount, 2};
    }
  }
  return v2;
}

CgroupTarget resolve_cgroup_arg(const MemcgHierarchy& h, const std::string& arg) {
  const std::string root = real(h.mount);
  if (root.empty()) throw CgroupError("cannot resolve the memory cgroup mount " + h.mount);
  if (arg.empty()) throw CgroupError("-c: empty cgroup path");
  std::string candidate = arg;
  struct stat st;
  // a path relative to the hierarchy unless it names a directory under its mount
  const std::string as_is = real(arg);
  if (arg[0] != '/' || as_is.empty() || (as_is != root && as_is.rfind(root + "/", 0) != 0))
    candidate = h.mount + (arg[0] == '/' ? "" : "/") + arg;
  const std::string full = real(candidate);
  if (full.empty() && !as_is.empty() && as_is != root && as_is.rfind(root + "/", 0) != 0)
    throw CgroupError("-c " + arg + ": not a cgroup of the memory hierarchy (cgroup v" +
                      std::to_string(h.version) + " at " + h.mount + ")");
  if (full.empty() || stat(full.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw CgroupError("-c " + arg + ": no such cgroup in the memory hierarchy (cgroup v" +
                      std::to_string(h.version) + " at " + h.mount + ")");
  if ((full != root && full.rfind(root + "/", 0) != 0) || !is_cgroup_fs(full) ||
      access((full + "/cgroup.procs").c_str(), F_OK) != 0)
    throw CgroupError("-c " + arg + ": " + full + " is not a cgroup of the memory hierarchy (cgroup v" +
                      std::to_string(h.version) + " at " + h.mount + ")");
  CgroupTarget t;
  t.id = st.st_ino;
  t.path = full == root ? "/" : full.substr(root.size());
  for (char c : t.path)
    if (c == '/') t.level++;
  if (t.path == "/") t.level = 0;
  return t;
}

std::string CgroupResolver::path_of(uint64_t id) {
  if (id == 0 || !h_) return "";
  auto it = paths_.find(id);
  if (it != paths_.end()) return it->second;
  const auto now = std::chrono::steady_clock::now();
  if (scanned_ && now - last_scan_ < std::chrono::seconds(1)) return "";
  rescan();
  last_scan_ = now;
  scanned_ = true;
  it = paths_.find(id);
  return it == paths_.end() ? "" : it->second;
}

void CgroupResolver::rescan() {
  const int fd = open(h_->mount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) == 0) paths_[st.st_ino] = "/";
  walk(fd, "/", 0, paths_);
}

}  // namespace kst
