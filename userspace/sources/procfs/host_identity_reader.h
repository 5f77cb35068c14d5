// The running host's identity (core/host_identity.h): uname, boot id and the
// wall-clock offset of CLOCK_MONOTONIC, read when a command prints.
#pragma once

#include "core/host_identity.h"

namespace kst {

HostIdentity live_host_identity();
// CLOCK_REALTIME now, ns.
int64_t realtime_now_ns();

}  // namespace kst
