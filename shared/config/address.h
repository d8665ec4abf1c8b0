// Listen and dial addresses as they appear in configuration: "host:port", "[v6]:port" or
// "unix:/path". Parsed once here so the config schema, the gRPC server/client helpers and the
// metrics server agree on syntax and on what counts as loopback.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace evermirror::config {

struct Address {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // kTcp: "127.0.0.1", "::1" (no brackets), "localhost", "0.0.0.0", ...
  int port = 0;      // kTcp: 0..65535; 0 asks the OS for a free port
  std::string path;  // kUnix: the socket's path ("unix:///x" and "unix:/x" both give "/x")

  // True for unix sockets (guarded by file permissions), "localhost", 127.0.0.0/8, ::1 and
  // ::ffff:127.0.0.0/104. False for wildcards (0.0.0.0, ::) and any other name.
  bool IsLoopback() const;
  // Canonical text: "127.0.0.1:7300", "[::1]:7300", "unix:/run/x.sock". Parses back equal.
  std::string ToString() const;
  // The form gRPC takes as a listen or dial target (same as ToString()).
  std::string ToGrpcTarget() const { return ToString(); }
};

// Parses `text`. InvalidArgument naming what is wrong (missing port, port out of range,
// bad host characters, empty unix path). Does not resolve names.
absl::StatusOr<Address> ParseAddress(std::string_view text);

}  // namespace evermirror::config
