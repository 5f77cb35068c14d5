#include "sources/bpf/bpf_objects.h"

#include <bpf/libbpf.h>

// the ABI headers before the skeletons, which name their .rodata types
#include "alloc_abi.h"
#include "hotadd_abi.h"
#include "vmscan_abi.h"
// clang-format off
#include "hotadd.skel.h"
#include "kswaptrace.skel.h"
// clang-format on

namespace kst {

std::vector<BpfObject> embedded_bpf_objects() {
  size_t main_size = 0, hotadd_size = 0;
  const void* main_elf = kswaptrace_bpf__elf_bytes(&main_size);
  const void* hotadd_elf = hotadd_bpf__elf_bytes(&hotadd_size);
  return {{"kswaptrace.bpf.o", {static_cast<const char*>(main_elf), main_size}},
          {"hotadd.bpf.o", {static_cast<const char*>(hotadd_elf), hotadd_size}}};
}

}  // namespace kst
