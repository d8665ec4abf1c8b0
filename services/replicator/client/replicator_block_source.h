// A drive::BlockSource over the replicator's gRPC API: how the gateway and the CLI read a site
// the replicator stores. Sequential reads are batched (read-ahead), missing blocks are either
// reported (hypercore::MissingBlockError) or fetched from peers first, by option.
#pragma once

#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/drive/block_source.h"

namespace evermirror::replicator {

struct RemoteSourceOptions {
  bool fetch = false;                             // ask peers for missing blocks and wait
  absl::Duration fetch_timeout = absl::Seconds(10);
  uint64_t read_ahead = 16;                       // blocks fetched per call on a sequential read
};

// Thread-safe.
class ReplicatorBlockSource final : public drive::BlockSource {
 public:
  // `client` must outlive the source. Length() is the feed's length when created (or at the
  // last Refresh()): an archive version stays consistent while it is being read.
  static absl::StatusOr<std::unique_ptr<ReplicatorBlockSource>> Open(ReplicatorClient* client,
                                                                     const crypto::PublicKey& key,
                                                                     const RemoteSourceOptions& options = {});
  absl::Status Refresh();

  uint64_t Length() const override;
  absl::StatusOr<std::string> Get(uint64_t index) override;
  bool HasAll(uint64_t start, uint64_t end) const override;
  absl::StatusOr<uint64_t> BlockSize(uint64_t index) override;
  absl::StatusOr<drive::BlockPosition> Seek(uint64_t byte_offset, uint64_t start, uint64_t end,
                                            uint64_t start_byte) override;

 private:
  ReplicatorBlockSource(ReplicatorClient* client, const crypto::PublicKey& key, const RemoteSourceOptions& options)
      : client_(client), key_(key), options_(options) {}

  ReplicatorClient* const client_;
  const crypto::PublicKey key_;
  const RemoteSourceOptions options_;
  mutable absl::Mutex mu_;
  uint64_t length_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, std::string> ahead_ ABSL_GUARDED_BY(mu_);  // read-ahead, consumed in order
  uint64_t last_index_ ABSL_GUARDED_BY(mu_) = ~uint64_t{0};
};

}  // namespace evermirror::replicator
