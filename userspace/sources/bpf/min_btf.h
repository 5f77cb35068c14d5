// A minimal BTF for kswaptrace's own programs, for kernels without
// /sys/kernel/btf/vmlinux: `bpftool gen min_core_btf` keeps, from a full BTF
// of the target kernel (its vmlinux's, or a btfhub-style archive's), only the
// types the CO-RE relocations of the embedded objects touch. The result is
// passed to any live command with --btf (LiveOptions::btf).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace kst {

struct MinBtfError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MinBtfResult {
  uint64_t from_bytes = 0, out_bytes = 0;
  uint32_t from_types = 0, out_types = 0;
};

// Writes OUT (atomically: a temporary beside it, then rename) from the full
// BTF in FROM. Throws MinBtfError with a one-line reason: FROM is not BTF,
// bpftool is missing or failed, OUT's directory is not writable.
MinBtfResult make_min_btf(const std::string& from, const std::string& out);

}  // namespace kst
