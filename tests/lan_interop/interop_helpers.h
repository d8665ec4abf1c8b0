// Small helpers for the LAN interop tests: a TCP listener that records who dialled it, a
// thread-safe log of discovery candidates, and waiting for a line in a child's output file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "shared/lan/mdns_transport.h"

namespace evermirror::lan {

// Listens on `address`:0 (host order) and accepts until destroyed, remembering peer addresses.
class TcpListener {
 public:
  explicit TcpListener(uint32_t address);
  ~TcpListener();
  uint16_t port() const { return port_; }
  bool WaitForConnectionFrom(uint32_t address, absl::Duration timeout);

 private:
  void Loop();
  int fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  absl::Mutex mu_;
  std::vector<uint32_t> from_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// When each candidate endpoint was first reported. Thread-safe.
class CandidateLog {
 public:
  void Add(const Ipv4Endpoint& endpoint, absl::Time at);
  std::optional<absl::Time> WaitFor(const Ipv4Endpoint& endpoint, absl::Duration timeout);

 private:
  absl::Mutex mu_;
  std::map<Ipv4Endpoint, absl::Time> first_ ABSL_GUARDED_BY(mu_);
};

// Polls `path` until a line matches `re` (regex_search); returns that match's groups (0 = all).
std::optional<std::vector<std::string>> WaitForLine(const std::string& path, const std::regex& re,
                                                    absl::Duration timeout);

// True if a TCP connection to `endpoint` succeeds within 5 s.
bool CanConnect(const Ipv4Endpoint& endpoint);

// avahi-browse -p writes '.' and '\\' as \. and \\, and every byte but [A-Za-z0-9_-] as \DDD.
std::string AvahiEscape(const std::string& name);
std::string RegexEscape(const std::string& text);

}  // namespace evermirror::lan
