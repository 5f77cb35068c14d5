// Small file operations on a tracefs instance, kept apart from the decoder
// so the parsers can be unit-tested on plain directories.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kst {

// "kswaptrace-<pid>" -> true and *pid; anything else -> false.
bool instance_owner(const std::string& name, int* pid);

// Writes VALUE to DIR/FILE. Returns false on failure; with must = true a
// failure throws TraceError naming the file.
bool write_instance_file(const std::string& dir, const std::string& file, const std::string& value,
                         bool must = true);
long read_instance_number(const std::string& dir, const std::string& file, long fallback);

// Disables every event and removes every trigger of the instance at DIR, then
// removes it. Returns false if it is still there.
bool destroy_instance_dir(const std::string& dir);

// Sum over CPUs of the "overrun" and "dropped events" lines of
// DIR/per_cpu/cpuN/stats: records the kernel could not keep for us.
uint64_t instance_lost_events(const std::string& dir);

// The bit of gfp flag NAME (e.g. "__GFP_DIRECT_RECLAIM") from the print
// format of kmem:mm_page_alloc, which lists every flag with its value, as a
// constant (older kernels: 0x400000u) or a shift (1UL) << (10). Only the flag
// table is read from it, never field offsets.
std::optional<uint32_t> gfp_bit_from_print_fmt(const std::string& fmt, const std::string& name);
std::optional<uint32_t> gfp_bit_from_format(const std::string& tracing_dir, const std::string& name);

}  // namespace kst
