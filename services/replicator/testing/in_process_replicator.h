// A real replicator for tests of its clients: the Replicator with its gRPC service on a
// loopback port, in this process, storing into a fresh temporary directory that is removed
// afterwards. Stop() ends it early (to test a client against a node that went away).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/replicator/replicator.h"
#include "services/replicator/replicator_service.h"
#include "shared/metrics/metrics.h"
#include "shared/rpc/server.h"

namespace evermirror::replicator::testing {

class InProcessReplicator {
 public:
  static absl::StatusOr<std::unique_ptr<InProcessReplicator>> Start();
  ~InProcessReplicator();

  const std::string& address() const { return address_; }  // the gRPC API, host:port
  const std::string& tmp() const { return tmp_; }           // scratch space, removed at the end
  Replicator& replicator() { return *replicator_; }
  void Stop();

 private:
  InProcessReplicator() = default;

  std::string tmp_;
  std::string address_;
  metrics::Registry metrics_{"replicator"};
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<ReplicatorService> service_;
  std::unique_ptr<rpc::GrpcServer> server_;
};

}  // namespace evermirror::replicator::testing
