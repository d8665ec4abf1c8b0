// The replicator's side of discovery: follows the swarm service's candidate stream
// (WatchCandidates), dials each candidate for its topic, and reports how that went
// (ReportDialResult) so the swarm backs off from addresses that fail. Reconnects to the swarm
// when it restarts. Off when no swarm address is configured.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "evermirror/swarm/v1/swarm.grpc.pb.h"
#include "services/replicator/replicator.h"

namespace evermirror::replicator {

struct SwarmLinkOptions {
  std::string swarm_address;   // host:port or unix:/path of evermirror-swarm; empty: off
  size_t max_parallel_dials = 8;
  absl::Duration reconnect_delay = absl::Seconds(2);
};

// Thread-safe. Owns two threads (the stream reader and the dialler).
class SwarmLink {
 public:
  SwarmLink(const SwarmLinkOptions& options, Replicator* replicator);
  ~SwarmLink();  // Stop()s
  absl::Status Start();
  void Stop();

  // The replicator reports ended connections here (host:port); a dialled candidate's
  // DISCONNECTED goes back to the swarm.
  void OnConnectionClosed(const std::string& remote_address);

  uint64_t dials() const { return dials_; }
  uint64_t dial_failures() const { return dial_failures_; }

 private:
  struct Candidate {
    std::string discovery_key;  // 32 bytes
    std::string host;
    uint32_t port = 0;
  };
  void StreamLoop();
  void DialLoop();
  void Report(const Candidate& c, swarm::v1::DialOutcome outcome, const std::string& error);
  bool IsSelf(const Candidate& c) const;

  const SwarmLinkOptions options_;
  Replicator* const replicator_;
  std::unique_ptr<swarm::v1::Swarm::Stub> stub_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> dials_{0};
  std::atomic<uint64_t> dial_failures_{0};
  std::thread stream_thread_;
  std::vector<std::thread> dialers_;
  std::shared_ptr<grpc::ClientContext> stream_context_;

  absl::Mutex mu_;
  std::vector<Candidate> queue_ ABSL_GUARDED_BY(mu_);
  // By host:port: every candidate (topic) dialled there. Feeds of several topics share one
  // connection to a peer, so when it closes each of them must be reported, or the swarm keeps
  // the others "connected" and never offers them for a redial.
  std::map<std::string, std::vector<Candidate>> connected_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::replicator
