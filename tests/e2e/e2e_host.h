// One host of the end-to-end tests: a network namespace of TestLan running the whole box with
// the real `evermirror up` (the four services as separate processes under its supervisor),
// configured by a TOML file written here. The test reaches each service's gRPC admin API over
// a unix socket (which crosses namespaces); everything else (peers, DHT, mDNS, HTTP) goes over
// the host's veth. Used by tests/e2e and bench/e2e.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evermirror/ingest/v1/ingest.grpc.pb.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/lan/testing/netns.h"
#include "tests/e2e/e2e_lan.h"

namespace evermirror::e2e {

struct HostOptions {
  std::string name;                 // also [box] name; "laptop", "box", ...
  int index = 1;                    // address 10.77.0.<index>
  bool dht = true;                  // DHT through the switch's bootstrap node
  bool lan = false;                 // multicast DNS on the host's interface
  std::vector<std::string> owners;  // [ingest] owners (hex owner keys)
  std::string cli_binary;           // path of `evermirror` (it finds the services beside it)
};

// Options for host `name` at 10.77.0.<index> with the given discovery, trusting nobody.
HostOptions HostNamed(const std::string& name, int index, bool dht, bool lan, const std::string& cli_binary);

inline constexpr uint16_t kHttpPort = 8080;   // every host's gateway, on 0.0.0.0
inline constexpr uint16_t kPeerPort = 3282;   // every host's replicator

// Not thread-safe (except the gRPC clients, which are).
class Host {
 public:
  // Adds the host to `lan` and starts `evermirror up` there. `work_dir` must exist.
  static absl::StatusOr<std::unique_ptr<Host>> Start(TestLan& lan, const HostOptions& options,
                                                     const std::string& work_dir);
  ~Host();  // kills `up` and with it the services

  // Starts `up` (again, on the same data) and waits until it is up and ingest knows its keys.
  absl::Status Up();
  // Ctrl-C to `up`; Internal unless it exits 0 within 30 s (every service stopped cleanly).
  absl::Status Down();
  bool running() const { return up_ != nullptr; }

  const std::string& name() const { return options_.name; }
  std::string ip() const { return TestLan::IpOf(options_.index); }
  pid_t netns_pid() const { return netns_pid_; }
  const std::string& data_dir() const { return data_; }
  // "unix:<data>/<service>.sock": the service's admin API.
  std::string Socket(const std::string& service) const;

  replicator::ReplicatorClient& replicator() { return *replicator_; }
  ingest::v1::IngestAdmin::Stub& ingest() { return *ingest_; }
  // Owner key (command log) and box key (receipt log), read when `up` was ready.
  const ingest::v1::Identity& identity() const { return identity_; }
  // The pid of a running service ("replicator", "swarm", "ingest", "gateway"), a child of `up`.
  std::optional<pid_t> ServicePid(const std::string& service) const;
  // A service's log (all runs), and `up`'s own output.
  std::string Log(const std::string& service) const;
  std::string UpOutput() const;

 private:
  Host(HostOptions options, std::string dir) : options_(std::move(options)), dir_(std::move(dir)) {}
  absl::Status WriteConfig() const;
  absl::Status AwaitIdentity();

  const HostOptions options_;
  const std::string dir_;   // work dir of this host: config, up's output
  std::string data_;        // <dir>/data
  pid_t netns_pid_ = 0;
  std::unique_ptr<lan::testing::Subprocess> up_;
  std::unique_ptr<replicator::ReplicatorClient> replicator_;
  std::unique_ptr<ingest::v1::IngestAdmin::Stub> ingest_;
  ingest::v1::Identity identity_;
};

}  // namespace evermirror::e2e
