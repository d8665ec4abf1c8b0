#include "services/cli/site_node.h"

#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"

namespace evermirror::cli {

SiteNode::SiteNode(std::string address, std::unique_ptr<replicator::ReplicatorClient> client)
    : address_(std::move(address)), client_(std::move(client)) {}

SiteNode::~SiteNode() = default;

absl::StatusOr<std::unique_ptr<SiteNode>> SiteNode::IfRunning(const std::string& address) {
  EM_ASSIGN_OR_RETURN(std::unique_ptr<replicator::ReplicatorClient> client,
                      replicator::ReplicatorClient::Connect(address));
  // Calls fail fast with UNAVAILABLE while nothing listens: that is "no node", not an error.
  absl::StatusOr<std::vector<replicator::v1::FeedStatus>> feeds = client->ListFeeds();
  if (absl::IsUnavailable(feeds.status())) return std::unique_ptr<SiteNode>();
  if (!feeds.ok()) {
    return absl::Status(feeds.status().code(),
                        absl::StrCat("the evermirror node at ", address, ": ", feeds.status().message()));
  }
  return std::unique_ptr<SiteNode>(new SiteNode(address, std::move(client)));
}

absl::StatusOr<crypto::PublicKey> SiteNode::Create() {
  EM_ASSIGN_OR_RETURN(replicator::v1::FeedStatus created, client_->CreateFeed(replicator::v1::KIND_HYPERDRIVE));
  return crypto::ParsePublicKeyText(created.key());
}

absl::StatusOr<bool> SiteNode::Owns(const crypto::PublicKey& key) {
  absl::StatusOr<replicator::v1::FeedStatus> status = client_->GetFeed(key);
  if (absl::IsNotFound(status.status())) return false;
  EM_RETURN_IF_ERROR(status.status());
  if (!status->writable()) {
    return absl::FailedPreconditionError(absl::StrCat("site ", crypto::KeyHex(key), " is a mirror on the node at ",
                                                      address_, ", not a site it can write"));
  }
  return true;
}

absl::StatusOr<replicator::v1::PublishReport> SiteNode::Publish(
    const crypto::PublicKey& key, const std::string& folder,
    const std::function<void(const drive::PublishProgress&)>& on_progress) {
  // The replicator is another process, maybe with another working directory.
  char resolved[PATH_MAX];
  if (::realpath(folder.c_str(), resolved) == nullptr) return absl::NotFoundError(absl::StrCat(folder, ": no such folder"));
  return client_->PublishFolder(key, resolved, [&](const replicator::v1::PublishFolderProgress& p) {
    if (!on_progress || p.has_report()) return;
    on_progress({p.files_done(), p.files_total(), p.bytes_done(), p.bytes_total()});
  });
}

}  // namespace evermirror::cli
