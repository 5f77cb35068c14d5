// Kernel uevent messages (NETLINK_KOBJECT_UEVENT, multicast group 1) and the
// memory-block events derived from them. Pure: bytes in, data out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"

namespace kst {

struct Uevent {
  std::string action;   // ACTION= (or the part before '@' of the header)
  std::string devpath;  // DEVPATH=
  std::string subsystem;
  uint64_t seqnum = 0;
  std::map<std::string, std::string> env;  // every KEY=VALUE field
};

// Parses one kernel uevent datagram: "action@devpath\0KEY=VALUE\0...".
// Returns nullopt for anything else (udev's "libudev" re-broadcasts, junk).
std::optional<Uevent> parse_uevent(std::string_view payload);

// A memory block event from a uevent with SUBSYSTEM=memory and DEVPATH
// .../memory/memoryN; nullopt for other subsystems and devices.
// Only the fields the uevent carries are filled (action, block, seqnum).
std::optional<MemoryBlockEvent> memory_block_from_uevent(const Uevent& u);

// Hexadecimal sysfs numbers such as block_size_bytes ("8000000") and phys_index.
std::optional<uint64_t> parse_sysfs_hex(std::string_view text);

}  // namespace kst
