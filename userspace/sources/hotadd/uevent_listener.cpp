#include "sources/hotadd/uevent_listener.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kst {

UeventListener::UeventListener() {
  fd_ = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
  if (fd_ < 0) {
    error_ = std::string("socket(NETLINK_KOBJECT_UEVENT): ") + strerror(errno);
    return;
  }
  // a hot-add of many blocks sends a burst: room for a few hundred messages
  int size = 1 << 20;
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = 1;  // kernel uevents (udev re-broadcasts on group 2)
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    error_ = std::string("bind(NETLINK_KOBJECT_UEVENT, group 1): ") + strerror(errno);
    ::close(fd_);
    fd_ = -1;
  }
}

UeventListener::~UeventListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<Uevent> UeventListener::read_all() {
  std::vector<Uevent> out;
  if (fd_ < 0) return out;
  char buf[8192];
  for (;;) {
    sockaddr_nl from{};
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        overruns_++;
        continue;
      }
      break;  // EAGAIN: nothing left
    }
    if (from.nl_pid != 0) continue;  // only the kernel speaks on group 1
    if (auto u = parse_uevent(std::string_view(buf, static_cast<size_t>(n)))) out.push_back(std::move(*u));
  }
  return out;
}

}  // namespace kst
