// The local evermirror node (`evermirror up`) as the site commands see it: when one runs, a site
// is created and published through its replicator, which stores it and seeds it to peers, so a
// box that is told to mirror it can fetch it. Without a node, sites are authored offline in
// $EVERMIRROR_HOME/sites (see site_commands.h) and nobody seeds them.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "evermirror/replicator/v1/replicator.pb.h"
#include "shared/crypto/crypto.h"
#include "shared/drive/publish.h"

namespace evermirror::replicator {
class ReplicatorClient;
}

namespace evermirror::cli {

class SiteNode {
 public:
  // The node whose replicator answers at `address` now; nullptr when nothing answers there
  // (connection refused: no node runs), an error for anything else (e.g. a bad address).
  static absl::StatusOr<std::unique_ptr<SiteNode>> IfRunning(const std::string& address);
  ~SiteNode();

  const std::string& address() const { return address_; }

  // A new, empty hyperdrive site owned by the node.
  absl::StatusOr<crypto::PublicKey> Create();
  // True when the node stores `key` and holds its secret key; false when it does not store it.
  absl::StatusOr<bool> Owns(const crypto::PublicKey& key);
  // Publishes what changed in `folder` (a path this machine's replicator can read).
  absl::StatusOr<replicator::v1::PublishReport> Publish(
      const crypto::PublicKey& key, const std::string& folder,
      const std::function<void(const drive::PublishProgress&)>& on_progress);

 private:
  SiteNode(std::string address, std::unique_ptr<replicator::ReplicatorClient> client);

  std::string address_;
  std::unique_ptr<replicator::ReplicatorClient> client_;
};

}  // namespace evermirror::cli
