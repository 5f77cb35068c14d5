// `kswaptrace explain`: why did (or would) an allocation fail?
//   explain REPORT_FILE|-            decode a pasted allocation-failure report
//   explain --order N [--gfp ...]    check the live (or captured) zone state
// Pure user space: /proc files or a report in, the watermark simulator of
// core/watermark_check.h, a verdict out.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/failure_report.h"
#include "core/gfp.h"
#include "core/untrusted_text.h"
#include "core/watermark_check.h"
#include "core/zones.h"
#include "sinks/json/envelope.h"
#include "sources/procfs/host_identity_reader.h"
#include "sources/procfs/procfs.h"

namespace kst::cli {
namespace {

struct ExplainOptions {
  std::string report;
  int order = -1;
  std::string gfp;
  std::string algorithm = "auto";
  std::string zoneinfo, buddyinfo;
  std::string kernel_version;
  bool json = false;
};

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

nlohmann::json result_json(const WmResult& r) {
  return {{"ok", r.ok},
          {"undecided", r.unknown},
          {"failure", wm_fail_name(r.fail)},
          {"fail_order", r.fail_order},
          {"free_pages", r.free_after},
          {"required_pages", r.required},
          {"min_adjusted", r.min_adjusted},
          {"lowmem_reserve", r.reserve},
          {"steps", r.steps}};
}

std::string result_short(const WmResult& r) {
  if (r.ok) return "ok";
  if (r.unknown) return "undecided";
  std::string s = std::string("FAIL (") + wm_fail_name(r.fail);
  if (r.fail == WmFail::OrderStep) s += " at order-" + std::to_string(r.fail_order) + " step";
  if (r.fail != WmFail::NoBlock && r.fail != WmFail::Migratetype)
    s += ": " + std::to_string(r.free_after) + " <= " + std::to_string(r.required);
  return s + ")";
}

struct Context {
  KernelVersion kv;
  std::string kv_source;
  std::optional<KernelVersion> kv_low, kv_high;  // the level is not certain within (low, high]
  GfpInfo gfp;
  std::string gfp_source;
  WmAlgo algo;
  std::vector<std::string> warnings;
};

// The whole JSON of one explanation, in one place (the common envelope of
// issue 18 wraps this object).
nlohmann::json explain_json(const Context& c, const Explanation& ex, const FailureReport* rep, int order) {
  nlohmann::json j;
  if (rep) {
    j["report"] = {
        {"kind", rep->kind == FailureReport::Kind::OomKill ? "oom_kill" : "page_allocation_failure"},
        {"comm", rep->comm},
        {"kernel_release", rep->kernel_release},
        {"hardware", rep->hardware},
        {"xen_guest", rep->xen_guest},
        {"nodemask", rep->nodemask},
        {"cpuset", rep->cpuset},
        {"mems_allowed", rep->mems_allowed},
        {"page_kb", rep->page_kb},
        {"line", rep->line},
        {"truncated", rep->truncated},
        {"truncation", rep->truncation}};
  }
  j["request"] = {{"order", order},
                  {"gfp_mask", hex(c.gfp.mask)},
                  {"gfp_names", c.gfp.names},
                  {"gfp_source", c.gfp_source},
                  {"gfp_table", gfp_era_label(c.gfp.era)},
                  {"highest_zone", c.gfp.highest_zone},
                  {"migratetype", std::string(1, c.gfp.migratetype)},
                  {"can_sleep", c.gfp.can_sleep}};
  j["kernel"] = {{"version", to_string(c.kv)},
                 {"source", c.kv_source},
                 {"algorithm", wm_algo_label(c.algo)},
                 {"arithmetic", wm_rules_describe(ex.rules)}};
  j["alloc_flags"] = ex.flags.describe();
  j["classzone"] = {{"index", ex.classzone_idx}, {"name", ex.classzone}};
  for (const auto& zr : ex.zonelist) {
    nlohmann::json z = {{"node", zr.zone.nid},        {"zone", zr.zone.name},
                        {"index", zr.zone.zone_idx},  {"free", zr.zone.free},
                        {"min", zr.zone.min},         {"low", zr.zone.low},
                        {"high", zr.zone.high},       {"free_cma", zr.zone.free_cma},
                        {"nr_free", zr.zone.nr_free}, {"lowmem_reserve", zr.zone.lowmem_reserve}};
    for (const auto& [m, r] : zr.marks) z["checks"][m] = result_json(r);
    j["zonelist"].push_back(z);
  }
  for (const auto& w : ex.what_if)
    j["what_if"].push_back({{"variant", w.label}, {"result", result_json(w.result)}});
  j["verdict"] = {{"cause", cause_name(ex.cause)}, {"text", ex.verdict}};
  if (ex.decisive >= 0)
    j["verdict"]["zone"] = {{"node", ex.zonelist[ex.decisive].zone.nid},
                            {"zone", ex.zonelist[ex.decisive].zone.name}};
  j["advice"] = ex.advice;
  std::vector<std::string> notes = ex.notes;
  notes.insert(notes.end(), c.warnings.begin(), c.warnings.end());
  j["notes"] = notes;
  j["era_alternatives"] = nlohmann::json::array();
  for (const auto& a : ex.era_alternatives)
    j["era_alternatives"].push_back({{"boundary", a.boundary},
                                     {"applied", a.applied},
                                     {"cause", cause_name(a.cause)},
                                     {"changes_verdict", a.changes},
                                     {"text", a.text}});
  add_envelope(j, "explain", live_host_identity(), realtime_now_ns());
  return j;
}

void print_zone(const ZoneReport& zr) {
  const WmZone& z = zr.zone;
  if (z.has_watermarks)
    std::printf("Node %d %s: free %lld, min %lld, low %lld, high %lld pages\n", z.nid, z.name.c_str(),
                static_cast<long long>(z.free), static_cast<long long>(z.min), static_cast<long long>(z.low),
                static_cast<long long>(z.high));
  else
    std::printf("Node %d %s: (no free/min figures)\n", z.nid, z.name.c_str());
  for (const auto& [m, r] : zr.marks) {
    std::printf("  %s watermark: %s\n", m.c_str(), result_short(r).c_str());
    for (const auto& s : r.steps) std::printf("    %s\n", s.c_str());
  }
}

void print_list(const char* title, const std::vector<std::string>& a,
                const std::vector<std::string>& b = {}) {
  if (a.empty() && b.empty()) return;
  std::printf("%s\n", title);
  for (const auto& x : a) std::printf("  - %s\n", x.c_str());
  for (const auto& x : b) std::printf("  - %s\n", x.c_str());
}

void render_text(const Context& c, const Explanation& ex, const FailureReport* rep, int order) {
  if (rep) {
    std::printf(
        "Report: %s %s%s\n", rep->comm.c_str(),
        rep->kind == FailureReport::Kind::OomKill ? "invoked the OOM killer" : "page allocation failure",
        rep->hardware.empty() ? "" : (" on " + rep->hardware).c_str());
    if (rep->truncated)
      print_list("Incomplete input (left out of the verdict, not guessed):", rep->truncation);
  }
  std::printf("Request: order %d (%lld pages), mode %s = %s [%s, GFP table %s]\n", order, 1LL << order,
              hex(c.gfp.mask).c_str(), c.gfp.names.empty() ? "0" : join(c.gfp.names, "|").c_str(),
              c.gfp_source.c_str(), gfp_era_label(c.gfp.era));
  std::printf("Kernel: %s (%s) -> %s watermark arithmetic; ALLOC flags from the mode: %s\n",
              to_string(c.kv).c_str(), c.kv_source.c_str(), wm_rules_describe(ex.rules).c_str(),
              ex.flags.describe().c_str());
  std::string zl;
  for (const auto& zr : ex.zonelist)
    zl += (zl.empty() ? "" : ", ") + ("Node " + std::to_string(zr.zone.nid) + " " + zr.zone.name);
  std::printf("Zonelist: %s; lowmem_reserve class zone: %s\n\n", zl.empty() ? "(none)" : zl.c_str(),
              ex.classzone.empty() ? "?" : ex.classzone.c_str());
  for (const auto& zr : ex.zonelist) print_zone(zr);
  if (!ex.what_if.empty()) {
    std::printf("\nHow the mode changes it (Node %d %s, min watermark):\n", ex.zonelist.front().zone.nid,
                ex.zonelist.front().zone.name.c_str());
    for (const auto& w : ex.what_if)
      std::printf("  %-46s %s\n", w.label.c_str(), result_short(w.result).c_str());
  }
  std::printf("\nVerdict (%s): %s\n", cause_name(ex.cause), ex.verdict.c_str());
  std::vector<std::string> alts;
  for (const auto& a : ex.era_alternatives) alts.push_back(a.text);
  print_list("Kernel level not certain; the era boundaries it may be on either side of:", alts);
  print_list("Advice:", ex.advice);
  print_list("Notes:", ex.notes, c.warnings);
}

bool pick_algorithm(const ExplainOptions& o, Context& c, std::string* err) {
  if (o.algorithm == "auto")
    c.algo = wm_algo_for(c.kv);
  else if (o.algorithm == "pre-4.4")
    c.algo = WmAlgo::Pre44;
  else if (o.algorithm == "4.4+")
    c.algo = WmAlgo::Post44;
  else if (o.algorithm == "6.4+")
    c.algo = WmAlgo::Post64;
  else {
    *err = "--algorithm must be pre-4.4, 4.4+, 6.4+ or auto";
    return false;
  }
  return true;
}

// A release with a vendor suffix ("2.6.32-431.el6", "4.1.18-g09f547b",
// "5.4.0-42-generic") may carry backports: its level is certain only up to
// the next era boundary. "-rcN" is mainline.
bool vendor_release(const std::string& rel) {
  size_t dash = rel.find('-');
  return dash != std::string::npos && rel.compare(dash + 1, 2, "rc") != 0;
}

std::optional<KernelVersion> next_boundary(KernelVersion kv) {
  for (const auto& b : wm_boundaries())
    if (b.at > kv) return b.at;
  return std::nullopt;
}

// Which kernel printed the report, and how sure that is.
bool pick_kernel(const ExplainOptions& o, const FailureReport& rep, Context& c, std::string* err) {
  if (!o.kernel_version.empty()) {
    auto kv = parse_kernel_version(o.kernel_version);
    if (!kv) {
      *err = "bad --kernel-version '" + o.kernel_version + "' (want e.g. 4.4 or 5.10.0-28-amd64)";
      return false;
    }
    c.kv = *kv;
    c.kv_source = "--kernel-version";
  } else if (rep.kernel) {
    c.kv = *rep.kernel;
    c.kv_source = "from the report: " + rep.kernel_release;
    if (vendor_release(rep.kernel_release)) {
      c.kv_low = c.kv;
      c.kv_high = next_boundary(c.kv);
    }
  } else if (rep.legacy_letters) {
    c.kv = {3, 10};
    c.kv_source = "guessed: pre-4.4 migratetype letters";
    c.kv_low = KernelVersion{2, 6, 23};
    c.kv_high = KernelVersion{4, 3};
  } else if (!rep.mode_names.empty() || rep.modern_hints) {
    c.kv = {4, 9};
    c.kv_source = "guessed: 4.5+ report fields; pass --kernel-version for a better answer";
    c.kv_low = KernelVersion{4, 4};
    c.kv_high = KernelVersion{99, 0};
  } else {
    *err = "the report does not say which kernel printed it; pass --kernel-version (e.g. 2.6.32 or 4.9)";
    return false;
  }
  return true;
}

// The request's GFP mask: the printed names (4.5+) win over the hex.
void pick_gfp(const FailureReport& rep, Context& c) {
  GfpEra era = gfp_era_for(c.kv);
  if (!rep.mode_names.empty()) {
    std::string err;
    auto m = gfp_from_names(rep.mode_names, era, &err);
    if (m) {
      c.gfp = decode_gfp(*m, era, c.kv);
      c.gfp_source = "printed names";
      if (rep.mode_known && *m != rep.mode)
        c.warnings.push_back("printed names encode " + hex(*m) + " in the " + gfp_era_label(era) +
                             " table, the report says " + hex(rep.mode) + ": --kernel-version may be off");
    } else {
      c.warnings.push_back(err + "; decoding the hex mode instead");
    }
  }
  if (!c.gfp_source.empty()) return;
  if (rep.mode_known) {
    c.gfp = decode_gfp(rep.mode, era, c.kv);
    c.gfp_source = "hex decoded";
    if (c.gfp.unknown)
      c.warnings.push_back("mode bits " + hex(c.gfp.unknown) + " are not defined for kernel " +
                           to_string(c.kv) + " (vendor flag, or wrong --kernel-version)");
  } else {
    c.gfp = decode_gfp(0, era, c.kv);
    c.gfp_source = "mode unknown";
    c.warnings.push_back("no GFP mode in the report: treated as a plain Normal-zone request");
  }
}

struct Analysis {
  Context c;
  Explanation ex;
};

bool analyse_report(const ExplainOptions& o, const FailureReport& rep, Analysis& a, std::string* err) {
  Context& c = a.c;
  if (!pick_kernel(o, rep, c, err)) return false;
  pick_gfp(rep, c);
  if (!pick_algorithm(o, c, err)) return false;
  c.warnings.insert(c.warnings.end(), rep.warnings.begin(), rep.warnings.end());
  if (rep.kind == FailureReport::Kind::OomKill)
    c.warnings.push_back(
        "an OOM-killer report: the allocation failed after reclaim; zone figures are from the time of "
        "printing");
  ExplainRequest req;
  req.order = rep.order;
  req.gfp = c.gfp;
  req.kv = c.kv;
  req.algo = c.algo;
  req.kv_low = c.kv_low;
  req.kv_high = c.kv_high;
  req.zones_complete = rep.zones_complete;
  req.layout = rep.layout;
  req.xen_guest = rep.xen_guest;
  req.comm = rep.comm;
  a.ex = explain(report_to_wm(rep), req);
  return true;
}

int run_report(const ExplainOptions& o) {
  std::string why;
  auto t = o.report == "-" ? read_bounded(std::cin, &why) : read_text_file(o.report, &why);
  if (!t)
    return fail("cannot read report " + (o.report == "-" ? std::string("from stdin") : o.report) + ": " +
                why);
  std::vector<FailureReport> reps;
  try {
    reps = parse_failure_reports(*t);
  } catch (const ParseError& e) {
    return fail(e.what());
  }
  std::vector<Analysis> out(reps.size());
  for (size_t i = 0; i < reps.size(); i++) {
    std::string err;
    if (!analyse_report(o, reps[i], out[i], &err))
      return fail(reps.size() == 1
                      ? err
                      : "report " + std::to_string(i + 1) + " of " + std::to_string(reps.size()) + " (line " +
                            std::to_string(reps[i].line) + "): " + err);
  }
  if (o.json) {
    // One report keeps the single-object shape; several give an array.
    nlohmann::json j = nlohmann::json::array();
    for (size_t i = 0; i < reps.size(); i++)
      j.push_back(explain_json(out[i].c, out[i].ex, &reps[i], reps[i].order));
    std::cout << json_text(reps.size() == 1 ? j[0] : j, 2) << "\n";
    return kExitOk;
  }
  for (size_t i = 0; i < reps.size(); i++) {
    if (reps.size() > 1)
      std::printf("%s=== Report %zu of %zu (input line %zu) ===\n", i ? "\n" : "", i + 1, reps.size(),
                  reps[i].line);
    render_text(out[i].c, out[i].ex, &reps[i], reps[i].order);
  }
  return kExitOk;
}

int run_live(const ExplainOptions& o) {
  if (o.order < 0 || o.order > 20) return fail("--order must be between 0 and 20", kExitUsage);
  Context c;
  if (!o.kernel_version.empty()) {
    auto kv = parse_kernel_version(o.kernel_version);
    if (!kv) return fail("bad --kernel-version '" + o.kernel_version + "'", kExitUsage);
    c.kv = *kv;
    c.kv_source = "--kernel-version";
  } else {
    std::string rel = ProcReader().kernel_release();
    auto kv = parse_kernel_version(rel);
    if (!kv) return fail("cannot tell the running kernel's version ('" + rel + "'); pass --kernel-version");
    c.kv = *kv;
    c.kv_source =
        o.zoneinfo.empty() ? "running kernel" : "running kernel; pass --kernel-version for captured files";
  }
  GfpEra era = gfp_era_for(c.kv);
  std::string err;
  auto mask = parse_gfp_arg(o.gfp.empty() ? "GFP_KERNEL" : o.gfp, era, &err);
  if (!mask) return fail(err, kExitUsage);
  c.gfp = decode_gfp(*mask, era, c.kv);
  c.gfp_source = o.gfp.empty() ? "default GFP_KERNEL" : "--gfp";
  if (c.gfp.unknown) c.warnings.push_back("mask bits " + hex(c.gfp.unknown) + " unknown in this era's table");
  if (!pick_algorithm(o, c, &err)) return fail(err, kExitUsage);

  std::string zpath = o.zoneinfo.empty() ? "/proc/zoneinfo" : o.zoneinfo;
  std::string why;
  auto zi = read_text_file(zpath, &why);
  if (!zi) return fail("cannot read " + zpath + ": " + why);
  std::vector<ZoneInfo> zones;
  try {
    zones = parse_zoneinfo(*zi);
    std::string bpath = !o.buddyinfo.empty() ? o.buddyinfo : (o.zoneinfo.empty() ? "/proc/buddyinfo" : "");
    if (!bpath.empty()) {
      auto bi = read_text_file(bpath, &why);
      if (!bi) return fail("cannot read " + bpath + ": " + why);
      merge_buddyinfo(zones, parse_buddyinfo(*bi));
    } else {
      c.warnings.push_back("no --buddyinfo: per-order free counts unknown, order > 0 checks stay undecided");
    }
  } catch (const ParseError& e) {
    return fail(e.what());
  }
  if (o.zoneinfo.empty() && !read_text_file("/proc/pagetypeinfo"))
    c.warnings.push_back(
        "/proc/pagetypeinfo not readable (root only on 5.8+): migratetypes of free blocks "
        "unknown, assumed usable");
  ExplainRequest req;
  req.order = o.order;
  req.gfp = c.gfp;
  req.kv = c.kv;
  req.algo = c.algo;
  req.all_marks = true;
  for (const auto& z : zones)
    if (z.nid == zones.front().nid) req.layout.push_back(z.name);
  Explanation ex = explain(zones_to_wm(zones), req);
  if (o.json)
    std::cout << json_text(explain_json(c, ex, nullptr, o.order), 2) << "\n";
  else
    render_text(c, ex, nullptr, o.order);
  return kExitOk;
}

int run_explain(const ExplainOptions& o) {
  if (!o.report.empty()) {
    if (o.order >= 0 || !o.gfp.empty() || !o.zoneinfo.empty())
      return fail("give either a REPORT or --order/--gfp/--zoneinfo, not both", kExitUsage);
    return run_report(o);
  }
  if (o.order < 0) return fail("explain needs a REPORT file (or - for stdin) or --order N", kExitUsage);
  return run_live(o);
}

}  // namespace

void register_explain(CLI::App& app, Registry& reg) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* sub = app.add_subcommand(
      "explain",
      "explain an allocation failure: decode a pasted report, or check an order against the zone state");
  sub->add_option("report", o->report, "allocation-failure report to decode (- for stdin)");
  sub->add_option("--order", o->order, "allocation order to check against live or captured zone state");
  sub->add_option("--gfp", o->gfp,
                  "GFP mask: 0xHEX or names like GFP_ATOMIC|__GFP_COMP (default GFP_KERNEL)");
  sub->add_option("--algorithm", o->algorithm, "watermark algorithm: pre-4.4, 4.4+, 6.4+ or auto")
      ->capture_default_str();
  sub->add_option("--zoneinfo", o->zoneinfo, "captured /proc/zoneinfo instead of the live one");
  sub->add_option("--buddyinfo", o->buddyinfo, "captured /proc/buddyinfo");
  sub->add_option("--kernel-version", o->kernel_version,
                  "kernel that produced the input (GFP table, algorithm)");
  sub->add_flag("-j,--json", o->json, "JSON output");
  set_examples(*sub, {"dmesg | kswaptrace explain -           # decode a page allocation failure",
                      "kswaptrace explain report.txt --kernel-version 4.9",
                      "kswaptrace explain --order 3 --gfp GFP_ATOMIC   # would it fail now?"});
  reg.push_back({sub, [o]() { return run_explain(*o); }});
}

}  // namespace kst::cli
