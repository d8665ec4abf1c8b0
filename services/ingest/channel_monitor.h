// Notices when another service (re)connects: watches gRPC channels' connectivity and calls a
// callback each time one becomes READY, so ingest pushes its whole state to a service that
// has just started (possibly empty) or come back. Keeps idle channels connecting, so a
// service that comes back is noticed without any call being made.
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"

namespace evermirror::ingest {

// Thread-safe.
class ChannelMonitor {
 public:
  ChannelMonitor();
  // Stops watching and joins the thread (within about a second).
  ~ChannelMonitor();

  // Calls `on_ready` (on the monitor's thread) whenever `channel` turns READY, including at
  // once if it is READY now.
  void Add(std::shared_ptr<grpc::Channel> channel, std::function<void()> on_ready);

 private:
  struct Watched;
  void Arm(Watched* watched);
  void Loop();

  grpc::CompletionQueue queue_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Watched>> watched_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace evermirror::ingest
