// A verdict: what the detector concludes about one node's kswapd, in plain
// words, with the numbers behind it. Rules are documented in
// docs/detection.md ("kswapd verdicts").
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace kst {

using TimeNs = uint64_t;  // as in core/event.h, which includes this header

struct Verdict {
  std::string kind;      // "LIVELOCK", "FUTILE-RECLAIM", "HIGH-ORDER-CHURN", "THRASHING",
                         // "WATERMARK-BOOST", "TINY-ZONE", "HEALTHY-RECLAIM"
  std::string severity;  // "critical", "warning", "notice", "info"
  bool alert = false;    // false only for HEALTHY-RECLAIM: reported, never alarmed on
  bool pending = false;  // condition holds now but not yet for the hold time
  int32_t nid = 0;
  TimeNs since = 0;     // onset: when the condition (or the awake stretch) began
  TimeNs raised = 0;    // when the detector concluded it (0 while pending)
  std::string message;  // one paragraph, with the numbers
  std::string advice;   // what to check or do
  std::map<std::string, double> evidence;
};

// The --exit-on spelling of a kind: "LIVELOCK" -> "livelock",
// "FUTILE-RECLAIM" -> "futile", "HIGH-ORDER-CHURN" -> "churn", ...
std::string verdict_key(const std::string& kind);

// A verdict named by a user (an option, a config key): the key as printed
// ("FUTILE-RECLAIM") or short ("futile"), any case, or "any". Returns the
// verdict_key() spelling ("futile", "any"), or "" for no such verdict.
std::string verdict_key_from_name(const std::string& name);

// Every verdict kind as printed, in the order docs/detection.md lists them.
const char* const* verdict_kinds_printed();  // null-terminated

}  // namespace kst
