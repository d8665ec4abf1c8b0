// Helpers for lan_interop_test: sockets with poll()-bounded waits, file polling.
#include "tests/lan_interop/interop_helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "shared/lan/testing/netns.h"

namespace evermirror::lan {

TcpListener::TcpListener(uint32_t address) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(address);
  socklen_t len = sizeof(a);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd_, 16) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0 || pipe2(wake_, O_CLOEXEC) != 0) {
    perror("TcpListener");
    abort();
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

TcpListener::~TcpListener() {
  (void)!write(wake_[1], "x", 1);
  thread_.join();
  close(fd_);
  close(wake_[0]);
  close(wake_[1]);
}

void TcpListener::Loop() {
  std::vector<int> accepted;
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) break;
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    const int c = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (c < 0) continue;
    accepted.push_back(c);  // kept open until the end, so the dialler sees a live connection
    absl::MutexLock lock(&mu_);
    from_.push_back(ntohl(peer.sin_addr.s_addr));
  }
  for (int c : accepted) close(c);
}

bool TcpListener::WaitForConnectionFrom(uint32_t address, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (uint32_t a : from_) {
      if (a == address) return true;
    }
    return false;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&seen), timeout);
}

void CandidateLog::Add(const Ipv4Endpoint& endpoint, absl::Time at) {
  absl::MutexLock lock(&mu_);
  first_.emplace(endpoint, at);
}

std::optional<absl::Time> CandidateLog::WaitFor(const Ipv4Endpoint& endpoint, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return first_.count(endpoint) > 0; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&seen), timeout)) return std::nullopt;
  return first_.at(endpoint);
}

std::optional<std::vector<std::string>> WaitForLine(const std::string& path, const std::regex& re,
                                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::istringstream in(testing::ReadFileOrEmpty(path));
    std::string line;
    std::smatch match;
    while (std::getline(in, line)) {
      if (std::regex_search(line, match, re)) return std::vector<std::string>(match.begin(), match.end());
    }
    if (absl::Now() > deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

bool CanConnect(const Ipv4Endpoint& endpoint) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(endpoint.address);
  a.sin_port = htons(endpoint.port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  if (!ok && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    ok = poll(&p, 1, 5000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  close(fd);
  return ok;
}

std::string AvahiEscape(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (c == '.' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (absl::ascii_isalnum(c) || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("\\%03d", c);
    }
  }
  return out;
}

std::string RegexEscape(const std::string& text) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : text) {
    if (special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace evermirror::lan
