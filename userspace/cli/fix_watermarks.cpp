// `kswaptrace fix-watermarks`: make the kernel recompute zone watermarks.
//
// After a Xen balloon hot-add the new zone keeps min = low = high = 0: its
// watermarks were computed in online_pages() while every page was still in
// the balloon, and adjust_managed_page_count() never recomputes them.
// Writing vm.watermark_scale_factor runs setup_per_zone_wmarks() for every
// zone; writing back the current value changes nothing else (rewriting
// min_free_kbytes would also work but pins it as a user setting).
// Dry run by default; --apply acts. It never acts on its own.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/hazards.h"
#include "core/untrusted_text.h"
#include "core/watermark_diff.h"
#include "sinks/json/envelope.h"
#include "sources/procfs/host_identity_reader.h"
#include "sources/procfs/procfs.h"

namespace kst::cli {
namespace {

constexpr const char* kScaleFactor = "/proc/sys/vm/watermark_scale_factor";

struct FixOptions {
  bool apply = false;
  bool json = false;
};

int run_fix(const FixOptions& o) {
  ProcReader proc;
  ZoneSample before;
  try {
    before = proc.zones();
  } catch (const std::exception& e) {
    return fail(std::string("cannot read zone state: ") + e.what());
  }
  auto wsf = read_text_file(kScaleFactor);
  if (!wsf)
    return fail(std::string("cannot read ") + kScaleFactor +
                " (kernel without watermark_scale_factor, < 4.6)");
  while (!wsf->empty() && (wsf->back() == '\n' || wsf->back() == ' ')) wsf->pop_back();

  std::vector<Hazard> hazards;
  for (auto& h : zone_hazards(before.zones, before.min_free_kbytes))
    if (h.kind == "zero-watermark") hazards.push_back(h);

  ZoneSample after = before;
  if (o.apply) {
    if (geteuid() != 0) return fail("--apply needs root: it writes " + std::string(kScaleFactor));
    std::ofstream out(kScaleFactor);
    out << *wsf << "\n";
    out.flush();
    if (!out) return fail(std::string("writing ") + *wsf + " to " + kScaleFactor + " failed");
    try {
      after = proc.zones();
    } catch (const std::exception& e) {
      return fail(std::string("cannot re-read zone state: ") + e.what());
    }
  }
  const auto rows = diff_watermarks(before.zones, after.zones);
  bool any_change = false;
  for (const auto& r : rows) any_change = any_change || r.changed();

  if (o.json) {
    nlohmann::json j;
    add_envelope(j, "fix-watermarks", live_host_identity(), realtime_now_ns());
    j["applied"] = o.apply;
    j["watermark_scale_factor"] = *wsf;
    j["changed"] = any_change;
    for (const auto& r : rows)
      j["zones"].push_back(
          {{"nid", r.nid},
           {"zone", r.zone},
           {"managed", r.managed},
           {"before", {{"min", r.min_before}, {"low", r.low_before}, {"high", r.high_before}}},
           {"after", {{"min", r.min_after}, {"low", r.low_after}, {"high", r.high_after}}}});
    for (const auto& h : hazards) j["zero_watermark_zones"].push_back(h.zone);
    std::cout << json_text(j, 2) << "\n";
    return kExitOk;
  }
  std::printf("%s vm.watermark_scale_factor = %s\n", o.apply ? "rewrote" : "would rewrite", wsf->c_str());
  std::printf("  %-4s %-8s %10s  %-22s %-22s\n", "node", "zone", "managed", "min/low/high before",
              o.apply ? "min/low/high after" : "");
  for (const auto& r : rows) {
    char b[64], a[64] = "";
    std::snprintf(b, sizeof b, "%llu/%llu/%llu", (unsigned long long)r.min_before,
                  (unsigned long long)r.low_before, (unsigned long long)r.high_before);
    if (o.apply)
      std::snprintf(a, sizeof a, "%llu/%llu/%llu%s", (unsigned long long)r.min_after,
                    (unsigned long long)r.low_after, (unsigned long long)r.high_after,
                    r.changed() ? "  (changed)" : "");
    std::printf("  %-4d %-8s %10llu  %-22s %-22s\n", r.nid, r.zone.c_str(), (unsigned long long)r.managed, b,
                a);
  }
  if (!o.apply) {
    if (hazards.empty())
      std::printf("no zone has zero or far-too-low watermarks: nothing to fix\n");
    else
      std::printf("%zu zone(s) with zero or far-too-low watermarks; run with --apply to recompute\n",
                  hazards.size());
  } else if (!any_change) {
    std::printf("the kernel recomputed the watermarks and nothing changed\n");
  } else {
    std::printf("watermarks recomputed\n");
  }
  return kExitOk;
}

}  // namespace

void register_fix_watermarks(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<FixOptions>();
  CLI::App* sub = app.add_subcommand("fix-watermarks",
                                     "make the kernel recompute zone watermarks by rewriting "
                                     "vm.watermark_scale_factor (dry run unless --apply)");
  sub->add_flag("--apply", o->apply, "actually write the sysctl (needs root)");
  sub->add_flag("-j,--json", o->json, "JSON output");
  set_examples(*sub, {"kswaptrace fix-watermarks              # dry run: what it would set, and why",
                      "kswaptrace fix-watermarks --apply      # write vm.watermark_scale_factor"});
  reg.push_back({sub, [o]() { return run_fix(*o); }});
}

}  // namespace kst::cli
