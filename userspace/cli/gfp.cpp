// `kswaptrace gfp MASK --kernel-version V`: decode a GFP mask of a given
// kernel era, and say what the page allocator makes of it.
#include "core/gfp.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/untrusted_text.h"
#include "sinks/json/envelope.h"
#include "sources/procfs/host_identity_reader.h"
#include "sources/procfs/procfs.h"

namespace kst::cli {
namespace {

struct GfpOptions {
  std::string mask;
  std::string kernel_version;
  int order = 0;
  bool json = false;
};

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

int run_gfp(const GfpOptions& o) {
  std::string kvs = o.kernel_version;
  std::string source = "--kernel-version";
  if (kvs.empty()) {
    kvs = ProcReader().kernel_release();
    source = "running kernel";
  }
  auto kv = parse_kernel_version(kvs);
  if (!kv) return fail("bad kernel version '" + kvs + "' (want e.g. 4.4 or 5.10.0-28-amd64)", kExitUsage);
  if (o.order < 0 || o.order > 20) return fail("--order must be between 0 and 20", kExitUsage);
  GfpEra era = gfp_era_for(*kv);
  std::string err;
  auto mask = parse_gfp_arg(o.mask, era, &err);
  if (!mask) return fail(err, kExitUsage);
  GfpInfo g = decode_gfp(*mask, era);
  AllocFlags f = alloc_flags_for(g, *kv, o.order);
  std::string names;
  for (const auto& n : g.names) names += (names.empty() ? "" : "|") + n;
  if (names.empty()) names = "0";
  if (o.json) {
    nlohmann::json j = {{"mask", hex(g.mask)},
                        {"kernel", to_string(*kv)},
                        {"kernel_source", source},
                        {"table", gfp_era_label(era)},
                        {"names", g.names},
                        {"flags", g.flags},
                        {"unknown_bits", hex(g.unknown)},
                        {"highest_zone", g.highest_zone},
                        {"migratetype", std::string(1, g.migratetype)},
                        {"can_sleep", g.can_sleep},
                        {"wakes_kswapd", g.kswapd},
                        {"alloc_flags", f.describe()},
                        {"order", o.order}};
    add_envelope(j, "gfp", live_host_identity(), realtime_now_ns());
    std::cout << json_text(j, 2) << "\n";
    return kExitOk;
  }
  std::printf("%s = %s   (kernel %s, %s; GFP table %s)\n", hex(g.mask).c_str(), names.c_str(),
              to_string(*kv).c_str(), source.c_str(), gfp_era_label(era));
  std::printf("  flags:        ");
  for (size_t i = 0; i < g.flags.size(); i++) std::printf("%s%s", i ? " " : "", g.flags[i].c_str());
  std::printf("\n");
  if (g.unknown)
    std::printf("  unknown bits: %s (not defined in this era's table)\n", hex(g.unknown).c_str());
  std::printf("  zones:        %s and below\n", g.highest_zone.c_str());
  std::printf("  migratetype:  %s\n",
              g.migratetype == 'M' ? "movable" : (g.migratetype == 'E' ? "reclaimable" : "unmovable"));
  std::printf("  may sleep:    %s (direct reclaim/compaction %s)\n", g.can_sleep ? "yes" : "no",
              g.can_sleep ? "allowed" : "not allowed");
  std::printf("  wakes kswapd: %s\n", g.kswapd ? "yes" : "no");
  std::printf("  ALLOC flags:  %s (order %d; real-time tasks may get more)\n", f.describe().c_str(), o.order);
  return kExitOk;
}

}  // namespace

void register_gfp(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<GfpOptions>();
  CLI::App* sub = app.add_subcommand("gfp", "decode a GFP mask for a kernel version");
  sub->add_option("mask", o->mask, "0xHEX, decimal, or names like GFP_KERNEL|__GFP_COMP")->required();
  sub->add_option("--kernel-version", o->kernel_version,
                  "kernel the mask comes from (default: running kernel)");
  sub->add_option("--order", o->order, "allocation order (6.4+ ALLOC_HIGHATOMIC depends on it)");
  sub->add_flag("-j,--json", o->json, "JSON output");
  set_examples(*sub, {"kswaptrace gfp 0x14200ca --kernel-version 4.9",
                      "kswaptrace gfp 'GFP_KERNEL|__GFP_COMP' --order 3 --json"});
  reg.push_back({sub, [o]() { return run_gfp(*o); }});
}

}  // namespace kst::cli
