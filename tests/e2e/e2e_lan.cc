#include "tests/e2e/e2e_lan.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"

namespace evermirror::e2e {
namespace {

constexpr char kBridge[] = "em-br0";

}  // namespace

absl::StatusOr<std::unique_ptr<TestLan>> TestLan::Create(const std::string& swarm_binary, const std::string& work_dir) {
  if (!lan::testing::InPrivateNetns()) return absl::FailedPreconditionError("TestLan outside a private namespace");
  // No multicast snooping: mDNS must reach every port without IGMP joins being tracked.
  EM_RETURN_IF_ERROR(lan::testing::Shell(absl::StrCat("ip link add ", kBridge, " type bridge mcast_snooping 0 && ip addr add ",
                                                      kSwitchIp, "/24 dev ", kBridge, " && ip link set ", kBridge, " up"))
                         .status());
  std::unique_ptr<TestLan> lan(new TestLan());
  swarm::testing::SwarmProcessOptions o;
  o.binary = swarm_binary;
  o.work_dir = work_dir + "/bootstrap";
  o.args = {"--lan_enabled=false", "--dnssd_enabled=false", absl::StrCat("--dht_address=", kBootstrap),
            "--announce_port=0"};
  EM_RETURN_IF_ERROR(lan::testing::Shell("mkdir -p '" + o.work_dir + "'").status());
  EM_ASSIGN_OR_RETURN(lan->bootstrap_, swarm::testing::SwarmProcess::Start(o));
  return lan;
}

TestLan::~TestLan() {
  hosts_.clear();
  bootstrap_.reset();
  (void)lan::testing::Shell(absl::StrCat("ip link del ", kBridge));
}

std::string TestLan::IpOf(int index) { return absl::StrCat("10.77.0.", index); }

absl::StatusOr<pid_t> TestLan::AddHost(const std::string& name, int index) {
  // Interface names are at most 15 bytes: "em-" + up to 12 of the host's name.
  const std::string local_if = absl::StrCat("em-", name.substr(0, 12));
  EM_ASSIGN_OR_RETURN(auto peer, lan::testing::VethPeer::CreateOnBridge(kBridge, local_if, kHostInterface,
                                                                         IpOf(index) + "/24"));
  const pid_t pid = peer->holder_pid();
  hosts_[name] = std::move(peer);
  return pid;
}

absl::Status TestLan::SetLink(const std::string& name, bool up) {
  auto it = hosts_.find(name);
  if (it == hosts_.end()) return absl::NotFoundError(name);
  return lan::testing::Shell(absl::StrCat("ip link set ", it->second->local_if(), up ? " up" : " down")).status();
}

absl::StatusOr<std::string> TestLan::ShellIn(const std::string& name, const std::string& command) const {
  auto it = hosts_.find(name);
  if (it == hosts_.end()) return absl::NotFoundError(name);
  return it->second->ShellInPeer(command);
}

}  // namespace evermirror::e2e
