#include "services/ingest/channel_monitor.h"

#include <chrono>

namespace evermirror::ingest {

// A state-change notification cannot be cancelled, so each waits at most this long; shutdown
// takes up to that. Between changes nothing runs.
constexpr auto kNotifyDeadline = std::chrono::seconds(1);

struct ChannelMonitor::Watched {
  std::shared_ptr<grpc::Channel> channel;
  std::function<void()> on_ready;
  grpc_connectivity_state last = GRPC_CHANNEL_IDLE;
};

ChannelMonitor::ChannelMonitor() {
  thread_ = std::thread([this] { Loop(); });
}

ChannelMonitor::~ChannelMonitor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (watched_.empty()) queue_.Shutdown();  // nothing outstanding would wake the loop
  }
  thread_.join();
}

void ChannelMonitor::Add(std::shared_ptr<grpc::Channel> channel, std::function<void()> on_ready) {
  auto watched = std::make_unique<Watched>();
  watched->channel = std::move(channel);
  watched->on_ready = std::move(on_ready);
  watched->last = watched->channel->GetState(true);
  const bool ready = watched->last == GRPC_CHANNEL_READY;
  Watched* raw = watched.get();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    watched_.push_back(std::move(watched));
    Arm(raw);
  }
  if (ready) raw->on_ready();
}

void ChannelMonitor::Arm(Watched* watched) {
  watched->channel->NotifyOnStateChange(watched->last, std::chrono::system_clock::now() + kNotifyDeadline, &queue_,
                                        watched);
}

void ChannelMonitor::Loop() {
  int outstanding = -1;  // unknown until stopping
  void* tag = nullptr;
  bool ok = false;
  while (queue_.Next(&tag, &ok)) {
    Watched* watched = static_cast<Watched*>(tag);
    // An idle channel (after its peer went away) only reconnects when asked to.
    const grpc_connectivity_state now = watched->channel->GetState(true);
    const bool became_ready = now == GRPC_CHANNEL_READY && watched->last != GRPC_CHANNEL_READY;
    watched->last = now;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        if (outstanding < 0) outstanding = static_cast<int>(watched_.size());
        if (--outstanding == 0) queue_.Shutdown();
        continue;
      }
      Arm(watched);
    }
    if (became_ready) watched->on_ready();
  }
}

}  // namespace evermirror::ingest
