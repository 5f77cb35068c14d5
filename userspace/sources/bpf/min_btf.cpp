#include "sources/bpf/min_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "sources/bpf/bpf_objects.h"

extern char** environ;

namespace kst {
namespace {

// Number of types in a BTF file, or a MinBtfError naming WHAT it was.
uint32_t btf_types(const std::string& path, const std::string& what) {
  // libbpf would print its own lines to stderr: the error below is the one line
  const libbpf_print_fn_t old = libbpf_set_print(nullptr);
  struct btf* b = btf__parse(path.c_str(), nullptr);
  const int e = errno;
  libbpf_set_print(old);
  if (!b) {
    char msg[128];
    libbpf_strerror(e, msg, sizeof msg);
    throw MinBtfError(what + " " + path + ": not a BTF or ELF file with BTF (" + msg + ")");
  }
  const uint32_t n = btf__type_cnt(b);
  btf__free(b);
  return n;
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// A private directory holding the embedded objects; removed with it.
class ObjectDir {
 public:
  ObjectDir() {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/kswaptrace-min-btf.XXXXXX";
    if (!mkdtemp(tmpl.data()))
      throw MinBtfError("cannot create a temporary directory: " + std::string(std::strerror(errno)));
    dir_ = tmpl;
    for (const auto& o : embedded_bpf_objects()) {
      const std::string p = dir_ + "/" + o.name;
      std::ofstream f(p, std::ios::binary);
      f.write(o.bytes.data(), static_cast<std::streamsize>(o.bytes.size()));
      if (!f) throw MinBtfError("cannot write " + p);
      paths_.push_back(p);
    }
  }
  ~ObjectDir() {
    for (const auto& p : paths_) unlink(p.c_str());
    unlink((dir_ + "/bpftool.err").c_str());
    rmdir(dir_.c_str());
  }
  const std::vector<std::string>& paths() const { return paths_; }
  std::string err_file() const { return dir_ + "/bpftool.err"; }

 private:
  std::string dir_;
  std::vector<std::string> paths_;
};

// Runs bpftool with ARGS, its stderr into ERR_FILE; returns its exit status.
int run_bpftool(const std::vector<std::string>& args, const std::string& err_file) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc == ENOENT) throw MinBtfError("bpftool not found: install it (Debian: apt-get install bpftool)");
  if (rc != 0) throw MinBtfError(std::string("cannot run bpftool: ") + std::strerror(rc));
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string last_line(const std::string& path) {
  std::ifstream f(path);
  std::string line, last;
  // bpftool prints libbpf's warnings first; its own "Error: ..." comes last
  while (std::getline(f, line))
    if (!line.empty()) last = line;
  return last;
}

}  // namespace

MinBtfResult make_min_btf(const std::string& from, const std::string& out) {
  MinBtfResult r;
  r.from_types = btf_types(from, "--from");
  r.from_bytes = file_size(from);
  ObjectDir objs;
  const std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::vector<std::string> args = {"bpftool", "gen", "min_core_btf", from, tmp};
  for (const auto& p : objs.paths()) args.push_back(p);
  if (const int rc = run_bpftool(args, objs.err_file()); rc != 0) {
    unlink(tmp.c_str());
    const std::string why = last_line(objs.err_file());
    throw MinBtfError("bpftool gen min_core_btf failed (exit " + std::to_string(rc) + ")" +
                      (why.empty() ? "" : ": " + why));
  }
  try {
    r.out_types = btf_types(tmp, "bpftool's output");
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
  if (rename(tmp.c_str(), out.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    throw MinBtfError("cannot write " + out + ": " + std::strerror(e));
  }
  r.out_bytes = file_size(out);
  return r;
}

}  // namespace kst
