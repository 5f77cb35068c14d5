#include "sinks/json/envelope.h"

#include "core/untrusted_text.h"
#include "kst_version.h"

namespace kst {

void add_envelope(nlohmann::json& j, const std::string& command, const HostIdentity& host, int64_t time_ns) {
  j["schema"] = "kswaptrace." + command + "/" + std::to_string(kJsonSchemaVersion);
  j["version"] = kJsonSchemaVersion;
  j["kswaptrace_version"] = KST_VERSION;
  j["time"] = rfc3339_utc(time_ns);
  // a recording's host facts are file contents: untrusted
  j["hostname"] = to_valid_utf8(host.hostname);
  j["boot_id"] = to_valid_utf8(host.boot_id);
  j["kernel_release"] = to_valid_utf8(host.kernel_release);
}

void add_envelope(nlohmann::json& j, const std::string& command, const HostIdentity& host,
                  uint64_t start_mono, uint64_t end_mono) {
  add_envelope(j, command, host, host.wall_ns(end_mono));
  j["start"] = rfc3339_utc(host.wall_ns(start_mono));
  j["end"] = rfc3339_utc(host.wall_ns(end_mono));
}

}  // namespace kst
