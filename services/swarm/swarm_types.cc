#include "services/swarm/swarm_types.h"

#include "absl/strings/str_cat.h"

namespace evermirror::swarm {

absl::Status ValidateDiscoveryKey(std::string_view key) {
  if (key.size() != kDiscoveryKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("discovery_key must be ", kDiscoveryKeySize, " bytes, got ", key.size()));
  }
  return absl::OkStatus();
}

std::string_view PeerSourceName(PeerSource source) {
  switch (source) {
    case PeerSource::kDht:
      return "dht";
    case PeerSource::kLan:
      return "lan";
    case PeerSource::kStatic:
      return "static";
  }
  return "unknown";
}

std::vector<PeerSource> SourceSet::ToVector() const {
  std::vector<PeerSource> out;
  for (int i = 0; i < kPeerSourceCount; ++i) {
    if (Has(static_cast<PeerSource>(i))) out.push_back(static_cast<PeerSource>(i));
  }
  return out;
}

std::string_view DialOutcomeName(DialOutcome outcome) {
  switch (outcome) {
    case DialOutcome::kConnected:
      return "connected";
    case DialOutcome::kFailed:
      return "failed";
    case DialOutcome::kDisconnected:
      return "disconnected";
  }
  return "unknown";
}

std::string_view EventKindName(CandidateEvent::Kind kind) {
  switch (kind) {
    case CandidateEvent::Kind::kCurrent:
      return "current";
    case CandidateEvent::Kind::kSynced:
      return "synced";
    case CandidateEvent::Kind::kNew:
      return "new";
    case CandidateEvent::Kind::kRedial:
      return "redial";
    case CandidateEvent::Kind::kTopicLeft:
      return "topic_left";
  }
  return "unknown";
}

}  // namespace evermirror::swarm
