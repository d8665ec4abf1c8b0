// The network of the end-to-end tests (tests/e2e, bench/e2e): a bridge in the test's own
// private network namespace (the "switch", 10.77.0.254) and one namespace per host, joined to
// it by a veth pair, with no route anywhere else (PROTOCOLS.md §5). The switch also runs the
// local DHT bootstrap node (a real evermirror-swarm at 10.77.0.254:6881, LAN off). Needs root.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "shared/lan/testing/netns.h"
#include "tests/swarm/swarm_harness.h"

namespace evermirror::e2e {

inline constexpr char kSwitchIp[] = "10.77.0.254";
inline constexpr char kBootstrap[] = "10.77.0.254:6881";
// The interface name inside every host namespace.
inline constexpr char kHostInterface[] = "eth0";

// Not thread-safe. REQUIRES: lan::testing::InPrivateNetns().
class TestLan {
 public:
  // Creates the bridge and starts the bootstrap node (`swarm_binary`).
  static absl::StatusOr<std::unique_ptr<TestLan>> Create(const std::string& swarm_binary, const std::string& work_dir);
  ~TestLan();  // hosts' namespaces, the bridge and the bootstrap node go

  // A new host namespace at 10.77.0.<index>/24 on the bridge. Returns the pid whose network
  // namespace it is (for Subprocess::Options::netns_of, RunInNetnsOf, nsenter).
  absl::StatusOr<pid_t> AddHost(const std::string& name, int index);
  static std::string IpOf(int index);
  // Cuts (false) or restores (true) the host's link: its bridge port goes down, so the host
  // sees no carrier and nothing it sends arrives (and vice versa).
  absl::Status SetLink(const std::string& name, bool up);
  // Runs a shell command inside the host's namespace.
  absl::StatusOr<std::string> ShellIn(const std::string& name, const std::string& command) const;

 private:
  TestLan() = default;
  std::map<std::string, std::unique_ptr<lan::testing::VethPeer>> hosts_;
  std::unique_ptr<swarm::testing::SwarmProcess> bootstrap_;
};

}  // namespace evermirror::e2e
