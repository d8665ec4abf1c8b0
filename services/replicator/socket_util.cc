#include "services/replicator/socket_util.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "shared/base/strings.h"

namespace evermirror::replicator {
namespace {

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(absl::StrCat(ToAbsl(what), ": ", std::strerror(errno)));
}

void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(std::string_view text) {
  const size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon == std::string_view::npos || colon == 0 || !absl::SimpleAtoi(ToAbsl(text.substr(colon + 1)), &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("not host:port: \"", ToAbsl(text), "\""));
  }
  return HostPort{std::string(text.substr(0, colon)), static_cast<uint16_t>(port)};
}

absl::StatusOr<sockaddr_in> ToSockaddr(const HostPort& hp) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(hp.port);
  const std::string host = hp.host == "localhost" ? "127.0.0.1" : hp.host;
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: \"", hp.host, "\""));
  }
  return addr;
}

std::string FormatSockaddr(const sockaddr_in& addr) {
  char buf[INET_ADDRSTRLEN] = {0};
  ::inet_ntop(AF_INET, &addr.sin_addr, buf, sizeof(buf));
  return absl::StrCat(buf, ":", ntohs(addr.sin_port));
}

absl::StatusOr<int> ListenTcp(const HostPort& address, int backlog, uint16_t* bound_port) {
  absl::StatusOr<sockaddr_in> addr = ToSockaddr(address);
  if (!addr.ok()) return addr.status();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0 || ::listen(fd, backlog) != 0) {
    absl::Status status = Errno(absl::StrCat("listen on ", address.host, ":", address.port));
    ::close(fd);
    return status;
  }
  sockaddr_in bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  *bound_port = ntohs(bound.sin_port);
  return fd;
}

absl::StatusOr<int> StartConnect(const sockaddr_in& addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  SetNoDelay(fd);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS) {
    absl::Status status = Errno(absl::StrCat("connect to ", FormatSockaddr(addr)));
    ::close(fd);
    return status;
  }
  return fd;
}

absl::Status ConnectResult(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return Errno("getsockopt");
  if (err != 0) return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(err)));
  return absl::OkStatus();
}

absl::StatusOr<int> AcceptTcp(int listener, sockaddr_in* peer) {
  socklen_t len = sizeof(*peer);
  const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return Errno("accept");
  SetNoDelay(fd);
  return fd;
}

}  // namespace evermirror::replicator
