// The memory cgroup hierarchy as the file system shows it: where it is
// mounted (cgroup v1 "memory" hierarchy or the v2 unified one), a cgroup id
// (kernfs id, which is the directory's inode number) to its path, and the
// -c argument checked and turned into the id/depth the BPF filter compares.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace kst {

struct CgroupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MemcgHierarchy {
  std::string mount;  // e.g. /sys/fs/cgroup/memory (v1) or /sys/fs/cgroup (v2)
  int version = 0;    // 1 or 2
};

// Finds the hierarchy that has the memory controller in MOUNTINFO
// (/proc/self/mountinfo format): a v1 "cgroup" mount with the "memory"
// option, else a "cgroup2" mount whose root lists "memory" in
// cgroup.controllers. nullopt if there is none.
std::optional<MemcgHierarchy> find_memcg_hierarchy(const std::string& mountinfo = "/proc/self/mountinfo");

// A cgroup chosen with -c.
struct CgroupTarget {
  uint64_t id = 0;   // kernfs id
  int level = 0;     // depth below the hierarchy's root (root: 0)
  std::string path;  // in the hierarchy: "/", "/a/b"
};

// ARG is a directory of the memory hierarchy, either as a file system path
// (/sys/fs/cgroup/memory/a/b) or relative to the hierarchy's root (/a/b or
// a/b). Throws CgroupError with one line when it is not such a cgroup.
CgroupTarget resolve_cgroup_arg(const MemcgHierarchy& h, const std::string& arg);

// id -> path, cached. A miss walks the hierarchy again, at most once a
// second (a cgroup removed before it is looked up never resolves; the walk
// must not run per event).
class CgroupResolver {
 public:
  explicit CgroupResolver(std::optional<MemcgHierarchy> h) : h_(std::move(h)) {}
  // "" when the id is 0, there is no hierarchy or no cgroup has that id.
  std::string path_of(uint64_t id);
  const std::optional<MemcgHierarchy>& hierarchy() const { return h_; }

 private:
  void rescan();
  std::optional<MemcgHierarchy> h_;
  std::unordered_map<uint64_t, std::string> paths_;
  std::chrono::steady_clock::time_point last_scan_{};
  bool scanned_ = false;
};

}  // namespace kst
