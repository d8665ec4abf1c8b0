// FeedWatcher over the replicator's WatchFeed stream: every watch is an asynchronous stream on
// one completion queue served by one thread, so following many feeds costs no thread each and
// nothing polls. A stream that ends (replicator restarting, feed not there yet) is opened again
// after a backoff (a grpc::Alarm on the same queue).
#pragma once

#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "evermirror/replicator/v1/replicator.grpc.pb.h"
#include "services/ingest/service_ports.h"
#include "shared/rpc/backoff.h"

namespace evermirror::ingest {

// Thread-safe.
class GrpcFeedWatcher final : public FeedWatcher {
 public:
  // `random` (for backoff jitter) must outlive the watcher.
  GrpcFeedWatcher(std::shared_ptr<grpc::Channel> channel, rpc::BackoffOptions backoff, env::Random* random);
  // Cancels every watch and joins the thread.
  ~GrpcFeedWatcher() override;

  WatchId Watch(const std::string& key, std::function<void(const FeedView&)> on_change) override;
  void Unwatch(WatchId id) override;

 private:
  struct Call;
  void Loop();
  void Handle(Call* call, bool ok) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartStream(Call* call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Cancel(Call* call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<replicator::v1::Replicator::Stub> stub_;
  const rpc::BackoffOptions backoff_;
  env::Random* const random_;
  grpc::CompletionQueue queue_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  WatchId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<WatchId, std::unique_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
  WatchId delivering_ ABSL_GUARDED_BY(mu_) = 0;  // whose on_change runs now (outside mu_)
  absl::CondVar delivered_;                        // signalled when delivering_ is reset
  std::thread thread_;
};

}  // namespace evermirror::ingest
