// Kernel uevents over NETLINK_KOBJECT_UEVENT (multicast group 1). Needs no
// BPF, no tracefs; root (or CAP_NET_ADMIN-free: any user may bind group 1
// in the initial network namespace).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/uevent.h"

namespace kst {

class UeventListener {
 public:
  // Opens and binds the socket; check ok()/error(). Never throws.
  UeventListener();
  ~UeventListener();
  UeventListener(const UeventListener&) = delete;
  UeventListener& operator=(const UeventListener&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }

  // Every datagram waiting in the socket (non-blocking), parsed.
  std::vector<Uevent> read_all();
  uint64_t overruns() const { return overruns_; }  // ENOBUFS: uevents lost

 private:
  int fd_ = -1;
  std::string error_;
  uint64_t overruns_ = 0;
};

}  // namespace kst
