// Test support: feeds in a MemFileSystem, a directory over them, and a pipe that shuttles bytes
// between two Connections until both are quiet.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shared/env/testing/mem_file_system.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/replication/connection.h"

namespace evermirror::replication::testing {

class MapDirectory final : public FeedDirectory {
 public:
  void Add(std::shared_ptr<ReplicatedFeed> feed) { feeds_[std::string(crypto::AsView(feed->discovery_key()))] = feed; }
  std::shared_ptr<ReplicatedFeed> Find(std::string_view dk) override {
    auto it = feeds_.find(std::string(dk));
    return it == feeds_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::string, std::shared_ptr<ReplicatedFeed>> feeds_;
};

class RecordingObserver final : public ConnectionObserver {
 public:
  void OnBlockStored(Connection&, ReplicatedFeed&, uint64_t index) override { stored.push_back(index); }
  void OnChannelOpen(Connection&, ReplicatedFeed&) override { ++opened; }
  std::vector<uint64_t> stored;
  int opened = 0;
};

// Moves bytes both ways until neither side has output. Returns the first error from either
// side (and which side), stopping there.
struct PipeResult {
  absl::Status a;
  absl::Status b;
  int rounds = 0;
};

inline PipeResult Pump(Connection& a, Connection& b, int max_rounds = 1 << 20) {
  PipeResult r;
  for (; r.rounds < max_rounds; ++r.rounds) {
    if (a.output().empty() && b.output().empty()) break;
    std::string ab;
    ab.swap(a.output());
    if (!ab.empty()) r.b = b.OnBytes(ab.data(), ab.size());
    if (!r.b.ok()) break;
    std::string ba;
    ba.swap(b.output());
    if (!ba.empty()) r.a = a.OnBytes(ba.data(), ba.size());
    if (!r.a.ok()) break;
  }
  return r;
}

}  // namespace evermirror::replication::testing
