// FakeDiscovery: a scripted swarm Discovery mechanism for tests of the Swarm and its gRPC
// edge. Records joins, leaves and lookups; reports the peers a test gives it, on each lookup
// or on demand; completes lookups at once or when the test says so.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/swarm/discovery.h"

namespace evermirror::swarm::testing {

// Thread-safe.
class FakeDiscovery final : public Discovery {
 public:
  FakeDiscovery(PeerSource source, bool periodic, CandidateSink sink);

  // Script.
  void SetPeers(const std::string& topic, std::vector<Endpoint> peers);  // reported by each lookup
  void SetJoinError(absl::Status error);                                  // Join fails with it
  void SetManualCompletion(bool manual);  // lookups wait for CompletePending instead of ending at once
  // Reports one sighting now.
  void Emit(const std::string& topic, const Endpoint& peer);
  // Completes every pending lookup of `topic` with `peers`; returns how many it completed.
  size_t CompletePending(const std::string& topic, size_t peers);

  // Inspection.
  bool joined(const std::string& topic) const;
  TopicFlags flags(const std::string& topic) const;
  int join_calls() const;
  int lookups(const std::string& topic) const;
  std::vector<std::string> left() const;

  PeerSource source() const override { return source_; }
  absl::Status Join(const std::string& topic, const TopicFlags& flags) override;
  void Leave(const std::string& topic) override;
  bool periodic_lookup() const override { return periodic_; }
  void Lookup(const std::string& topic, LookupDone done) override;

 private:
  const PeerSource source_;
  const bool periodic_;
  const CandidateSink sink_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<Endpoint>> peers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, TopicFlags> joined_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> lookups_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, LookupDone> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> left_ ABSL_GUARDED_BY(mu_);
  absl::Status join_error_ ABSL_GUARDED_BY(mu_);
  bool manual_ ABSL_GUARDED_BY(mu_) = false;
  int join_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::swarm::testing
