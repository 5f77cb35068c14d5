// Parser for pasted kernel allocation-failure reports (warn_alloc() /
// warn_alloc_failed() output followed by show_free_areas()), and for
// OOM-killer headers, from 2.6.x to 6.x.
//
// Reports arrive mangled: syslog/journal prefixes, dmesg timestamps,
// "<4>" levels, e-mail quoting ("> "), quoted-printable soft breaks,
// lines re-wrapped by mail clients. The parser strips per-line prefixes,
// then reads the text as one token stream, keyed by "key:value" tokens and
// never by position.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gfp.h"
#include "core/watermark_check.h"
#include "core/zones.h"

namespace kst {

struct ReportZone {
  int32_t nid = 0;
  std::string name;
  bool has_line = false;  // the "Zone free:..kB min:..kB" line was seen
  int64_t free_kb = 0, min_kb = 0, low_kb = 0, high_kb = 0, boost_kb = 0;
  int64_t reserved_highatomic_kb = 0, free_cma_kb = 0, managed_kb = -1, present_kb = -1;
  int64_t free_highatomic_kb = -1;      // printed since the 2025 show_free_areas() change (~6.16)
  bool line_complete = false;           // free/min/low/high, and ended by a whole lowmem_reserve[] line
  std::vector<int64_t> lowmem_reserve;  // pages, as printed
  bool has_buddy = false;
  std::vector<int64_t> nr_free;  // per order
  std::vector<std::string> mt;   // letters per order
  int64_t buddy_total_kb = -1;
  bool buddy_cut = false;  // a buddy line without its "= NkB" total: left out
};

struct FailureReport {
  enum class Kind { PageAllocFailure, OomKill };
  Kind kind = Kind::PageAllocFailure;
  std::string comm;
  int order = 0;
  bool mode_known = false;
  uint64_t mode = 0;
  std::string mode_names;  // "GFP_KERNEL|__GFP_COMP" when printed (4.5+)
  std::string nodemask, cpuset, mems_allowed;
  std::string kernel_release;  // "5.4.30", from the CPU:/Pid: line
  std::optional<KernelVersion> kernel;
  std::string hardware;
  bool xen_guest = false;
  int page_kb = 4;
  bool legacy_letters = false;  // buddy letters include pre-4.4 'R'
  bool modern_hints = false;    // fields only 4.4+ prints (H letters, reserved_highatomic, writepending)
  std::vector<ReportZone> zones;
  std::vector<std::string> layout;  // zone name per zone index (inferred)
  std::vector<std::string> warnings;
  size_t line = 0;                      // 1-based line of the header in the input
  bool truncated = false;               // the input ends inside this report, or a part of it is incomplete
  bool zones_complete = true;           // false: cut before every zone line was printed
  std::vector<std::string> truncation;  // what was cut and left out
};

// Parses every failure report in `text` (a dmesg often holds several), each
// from its own header to the next. Throws ParseError with a one-line reason
// when no report header is found.
std::vector<FailureReport> parse_failure_reports(std::string_view text);
// The first report of parse_failure_reports().
FailureReport parse_failure_report(std::string_view text);

// Zones of a report in pages, with zone indices from the inferred layout.
std::vector<WmZone> report_to_wm(const FailureReport& r);

}  // namespace kst
