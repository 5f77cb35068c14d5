// `kswaptrace min-btf`: a few-KB BTF for guests whose kernel has no
// /sys/kernel/btf/vmlinux (sources/bpf/min_btf.h; docs/kernels.md).
#include "sources/bpf/min_btf.h"

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "core/untrusted_text.h"

namespace kst::cli {
namespace {

struct MinBtfOptions {
  std::string from = "/sys/kernel/btf/vmlinux";
  std::string out;
};

int run_min_btf(const MinBtfOptions& o) {
  try {
    const MinBtfResult r = make_min_btf(o.from, o.out);
    std::cout << "wrote " << terminal_safe(to_valid_utf8(o.out)) << ": " << r.out_bytes << " bytes, "
              << r.out_types << " types (from " << terminal_safe(to_valid_utf8(o.from)) << ": "
              << r.from_bytes << " bytes, " << r.from_types
              << " types). Use it on that kernel: kswaptrace --btf " << terminal_safe(to_valid_utf8(o.out))
              << " ...\n";
  } catch (const MinBtfError& e) {
    return fail(terminal_safe(to_valid_utf8(e.what())));
  }
  return kExitOk;
}

}  // namespace

void register_min_btf(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<MinBtfOptions>();
  CLI::App* sub = app.add_subcommand("min-btf",
                                     "write a minimal BTF for kswaptrace's programs from a kernel's full BTF "
                                     "(bpftool gen min_core_btf), for "
                                     "guests without /sys/kernel/btf/vmlinux: pass it there with --btf");
  sub->add_option("--from", o->from,
                  "the target kernel's full BTF: its /sys/kernel/btf/vmlinux, a vmlinux with BTF, or a "
                  "btfhub-style .btf file")
      ->capture_default_str();
  sub->add_option("-o,--output", o->out, "the minimal BTF file to write")->required();
  set_examples(*sub, {"kswaptrace min-btf -o kswaptrace-$(uname -r).btf",
                      "kswaptrace min-btf --from /usr/lib/debug/boot/vmlinux-5.10.0-30-amd64 -o 5.10.btf"});
  reg.push_back({sub, [o]() { return run_min_btf(*o); }});
}

}  // namespace kst::cli
