#include "services/swarm/testing/fake_discovery.h"

#include <utility>

namespace evermirror::swarm::testing {

FakeDiscovery::FakeDiscovery(PeerSource source, bool periodic, CandidateSink sink)
    : source_(source), periodic_(periodic), sink_(std::move(sink)) {}

void FakeDiscovery::SetPeers(const std::string& topic, std::vector<Endpoint> peers) {
  absl::MutexLock lock(&mu_);
  peers_[topic] = std::move(peers);
}

void FakeDiscovery::SetJoinError(absl::Status error) {
  absl::MutexLock lock(&mu_);
  join_error_ = std::move(error);
}

void FakeDiscovery::SetManualCompletion(bool manual) {
  absl::MutexLock lock(&mu_);
  manual_ = manual;
}

void FakeDiscovery::Emit(const std::string& topic, const Endpoint& peer) { sink_(topic, peer, source_); }

size_t FakeDiscovery::CompletePending(const std::string& topic, size_t peers) {
  std::vector<LookupDone> done;
  {
    absl::MutexLock lock(&mu_);
    auto [begin, end] = pending_.equal_range(topic);
    for (auto it = begin; it != end; ++it) done.push_back(std::move(it->second));
    pending_.erase(begin, end);
  }
  for (LookupDone& d : done) d(peers);
  return done.size();
}

bool FakeDiscovery::joined(const std::string& topic) const {
  absl::MutexLock lock(&mu_);
  return joined_.count(topic) > 0;
}

TopicFlags FakeDiscovery::flags(const std::string& topic) const {
  absl::MutexLock lock(&mu_);
  auto it = joined_.find(topic);
  return it == joined_.end() ? TopicFlags{false, false} : it->second;
}

int FakeDiscovery::join_calls() const {
  absl::MutexLock lock(&mu_);
  return join_calls_;
}

int FakeDiscovery::lookups(const std::string& topic) const {
  absl::MutexLock lock(&mu_);
  auto it = lookups_.find(topic);
  return it == lookups_.end() ? 0 : it->second;
}

std::vector<std::string> FakeDiscovery::left() const {
  absl::MutexLock lock(&mu_);
  return left_;
}

absl::Status FakeDiscovery::Join(const std::string& topic, const TopicFlags& flags) {
  absl::MutexLock lock(&mu_);
  ++join_calls_;
  if (!join_error_.ok()) return join_error_;
  joined_[topic] = flags;
  return absl::OkStatus();
}

void FakeDiscovery::Leave(const std::string& topic) {
  absl::MutexLock lock(&mu_);
  joined_.erase(topic);
  left_.push_back(topic);
}

void FakeDiscovery::Lookup(const std::string& topic, LookupDone done) {
  std::vector<Endpoint> peers;
  bool manual = false;
  {
    absl::MutexLock lock(&mu_);
    ++lookups_[topic];
    auto it = peers_.find(topic);
    if (it != peers_.end() && joined_.count(topic) > 0) peers = it->second;
    manual = manual_;
    if (manual) pending_.emplace(topic, std::move(done));
  }
  for (const Endpoint& p : peers) sink_(topic, p, source_);
  if (!manual) done(peers.size());
}

}  // namespace evermirror::swarm::testing
