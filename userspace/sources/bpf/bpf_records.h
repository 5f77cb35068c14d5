// Decoding of the ring-buffer records defined in bpf/vmscan_abi.h into the
// event model. No libbpf here: tests feed byte buffers directly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/event.h"

namespace kst {

struct DecodeResult {
  std::optional<Event> event;
  std::string error;  // set when the record is malformed
};

DecodeResult decode_record(const void* data, size_t size);

}  // namespace kst
