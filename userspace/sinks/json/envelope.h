// The envelope of every JSON object kswaptrace prints (docs/output.md,
// "The envelope"): which contract it follows, which machine and boot it is
// about, and when. One function, so every command says it the same way.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/host_identity.h"

namespace kst {

// The major version of every command's JSON contract (docs/output.md,
// "Compatibility"): `schema` is "kswaptrace.<command>/<this>".
constexpr int kJsonSchemaVersion = 1;

// Adds to `j`: schema ("kswaptrace.<command>/1"), version (1), kswaptrace_version,
// time (RFC 3339 UTC of `time_ns`, CLOCK_REALTIME), hostname, boot_id, kernel_release.
// Keys the body already has are overwritten: the envelope's names are reserved.
void add_envelope(nlohmann::json& j, const std::string& command, const HostIdentity& host, int64_t time_ns);

// The same for an object about a time window [start, end] (CLOCK_MONOTONIC
// ns of that boot): `start` and `end` in RFC 3339 UTC, `time` = `end`.
void add_envelope(nlohmann::json& j, const std::string& command, const HostIdentity& host,
                  uint64_t start_mono, uint64_t end_mono);

}  // namespace kst
