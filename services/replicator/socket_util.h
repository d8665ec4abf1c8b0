// Small POSIX socket helpers for the replicator's event loop: IPv4 TCP listen, non-blocking
// connect and accept, and "host:port" parsing. Errors carry errno text.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace evermirror::replicator {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// "1.2.3.4:3282", "0.0.0.0:0", "localhost:80". InvalidArgument on anything else.
absl::StatusOr<HostPort> ParseHostPort(std::string_view text);
// Resolves an IPv4 literal or "localhost". InvalidArgument otherwise (we never do DNS).
absl::StatusOr<sockaddr_in> ToSockaddr(const HostPort& hp);
std::string FormatSockaddr(const sockaddr_in& addr);

// A non-blocking listening socket (SO_REUSEADDR). Returns the fd; `bound_port` gets the port.
absl::StatusOr<int> ListenTcp(const HostPort& address, int backlog, uint16_t* bound_port);
// Starts a non-blocking connect; completion is signalled by writability (check ConnectResult).
absl::StatusOr<int> StartConnect(const sockaddr_in& addr);
// The outcome of a non-blocking connect once the socket is writable.
absl::Status ConnectResult(int fd);
// Accepts one connection, non-blocking, TCP_NODELAY. Unavailable when none is pending.
absl::StatusOr<int> AcceptTcp(int listener, sockaddr_in* peer);

}  // namespace evermirror::replicator
