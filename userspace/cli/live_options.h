// What the tracing commands (one-shot, watch, record) share: the options that
// choose how probes attach, and opening the live source with them.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "sources/live_source.h"

namespace kst::cli {

struct LiveOptions {
  std::string attach = "auto";         // tracepoints: auto, tp_btf, tracepoint
  std::string hotadd_probes = "auto";  // hot-add function probes: auto, fentry, kprobe, none
  std::string btf;                     // BTF file instead of /sys/kernel/btf/vmlinux
  bool verbose = false;                // libbpf's messages
};

// --attach, --hotadd-probes, --btf on APP: what decides the attach plan
// (also `features`, which previews that plan).
void add_plan_options(CLI::App& app, LiveOptions& o);

// The plan options and -v/--verbose on APP.
void add_live_options(CLI::App& app, LiveOptions& o);

// Loads and attaches everything; on failure prints the one-line error and
// returns nullptr (the caller exits with kExitError). PROBE must outlive it.
std::unique_ptr<LiveSource> open_live_source(const LiveOptions& o, FeatureProbe& probe);

}  // namespace kst::cli
