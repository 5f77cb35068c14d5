// The BPF objects built into this binary (bpftool skeletons embed each ELF
// file), for commands that hand them to other tools: `min-btf` gives them to
// `bpftool gen min_core_btf`, which keeps only the BTF types their CO-RE
// relocations use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kst {

struct BpfObject {
  std::string name;        // "kswaptrace.bpf.o"
  std::string_view bytes;  // the ELF file as built
};

std::vector<BpfObject> embedded_bpf_objects();

}  // namespace kst
