#include "shared/metrics/testing/scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace evermirror::metrics::testing {
namespace {

absl::Status SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Exchange(int port, std::string_view request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  absl::Status status;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    status = absl::UnavailableError(absl::StrCat("connect 127.0.0.1:", port, ": ", std::strerror(errno)));
  } else {
    status = SendAll(fd, request);
    char buf[16384];
    ssize_t n = 0;
    while (status.ok() && (n = ::recv(fd, buf, sizeof(buf), 0)) > 0) reply.append(buf, static_cast<size_t>(n));
    if (status.ok() && n < 0) status = absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
  }
  ::close(fd);
  if (!status.ok()) return status;
  return reply;
}

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(int port, std::string_view path) {
  absl::StatusOr<std::string> reply = Exchange(
      port, absl::StrCat("GET ", absl::string_view(path.data(), path.size()), " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
  if (!reply.ok()) return reply.status();
  const size_t split = reply->find("\r\n\r\n");
  if (split == std::string::npos) return absl::InternalError(absl::StrCat("no header end in: ", *reply));
  HttpResponse response;
  response.headers = reply->substr(0, split);
  response.body = reply->substr(split + 4);
  std::vector<std::string> status_line = absl::StrSplit(response.headers.substr(0, response.headers.find("\r\n")), ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::InternalError(absl::StrCat("bad status line in: ", response.headers));
  }
  return response;
}

std::optional<std::string> FindPromtool() {
  if (const char* env = std::getenv("PROMTOOL"); env != nullptr && *env != '\0') return std::string(env);
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':')) {
      std::string candidate = absl::StrCat(dir, "/promtool");
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  if (::access("/usr/bin/promtool", X_OK) == 0) return std::string("/usr/bin/promtool");
  return std::nullopt;
}

absl::StatusOr<PromtoolResult> PromtoolCheckMetrics(std::string_view exposition) {
  std::optional<std::string> promtool = FindPromtool();
  if (!promtool) return absl::NotFoundError("promtool not installed (apt-get install prometheus)");
  char path[] = "/tmp/evermirror-metrics-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return absl::InternalError(absl::StrCat("mkstemp: ", std::strerror(errno)));
  const bool written = ::write(fd, exposition.data(), exposition.size()) == static_cast<ssize_t>(exposition.size());
  ::close(fd);
  PromtoolResult result;
  if (written) {
    const std::string command = absl::StrCat("'", *promtool, "' check metrics < '", path, "' 2>&1");
    if (FILE* pipe = ::popen(command.c_str(), "r"); pipe != nullptr) {
      char buf[4096];
      size_t n = 0;
      while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
      const int status = ::pclose(pipe);
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
  }
  ::unlink(path);
  if (!written) return absl::InternalError("could not write the metrics to a temporary file");
  return result;
}

}  // namespace evermirror::metrics::testing
