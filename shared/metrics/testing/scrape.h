// Test helpers that look at /metrics the way Prometheus does: a plain HTTP GET over a real
// loopback socket, and `promtool check metrics` (the Debian package prometheus) as the linter.
// Used by the metrics tests and by tests/rpc_reflection against a running service.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace evermirror::metrics::testing {

struct HttpResponse {
  int status = 0;            // e.g. 200
  std::string headers;       // the raw header block, status line included
  std::string body;
};

// One HTTP/1.0 GET of http://127.0.0.1:<port><path>, waiting at most 10 s.
// Unavailable when the connection fails; Internal for a malformed response.
absl::StatusOr<HttpResponse> HttpGet(int port, std::string_view path = "/metrics");

// The promtool binary: $PROMTOOL if set, else the first promtool on PATH, else /usr/bin/promtool.
std::optional<std::string> FindPromtool();

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together: one line per lint problem
};

// Runs `promtool check metrics` on `exposition`. NotFound when promtool is not installed.
absl::StatusOr<PromtoolResult> PromtoolCheckMetrics(std::string_view exposition);

}  // namespace evermirror::metrics::testing
