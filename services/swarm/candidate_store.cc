#include "services/swarm/candidate_store.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace evermirror::swarm {
namespace {

// Neither unspecified, "this network", multicast nor broadcast addresses can be peers.
bool Plausible(const Endpoint& e) {
  return e.port != 0 && (e.ip >> 24) != 0 && (e.ip >> 28) != 0xE && e.ip != 0xFFFFFFFF;
}

}  // namespace

absl::Status CandidateStoreOptions::Validate() const {
  if (ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("candidate_ttl must be positive");
  if (max_per_topic == 0) return absl::InvalidArgumentError("max_candidates_per_topic must be positive");
  if (backoff_initial <= absl::ZeroDuration() || backoff_max < backoff_initial) {
    return absl::InvalidArgumentError("dial_backoff_initial must be positive and <= dial_backoff_max");
  }
  if (!(backoff_multiplier >= 1.0) || !(backoff_jitter >= 0.0 && backoff_jitter < 1.0)) {
    return absl::InvalidArgumentError("dial backoff needs multiplier >= 1 and 0 <= jitter < 1");
  }
  if (stable_connection < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("stable_connection must not be negative");
  }
  return absl::OkStatus();
}

CandidateStore::CandidateStore(CandidateStoreOptions options, env::Random* random)
    : options_(std::move(options)), random_(random) {}

void CandidateStore::AddTopic(const std::string& topic) { topics_.try_emplace(topic); }

size_t CandidateStore::RemoveTopic(const std::string& topic) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return 0;
  const size_t n = it->second.size();
  total_ -= n;
  topics_.erase(it);
  return n;
}

bool CandidateStore::IsSelf(const Endpoint& e) const {
  if (options_.self_port == 0 || e.port != options_.self_port) return false;
  if ((e.ip >> 24) == 127) return true;
  return std::find(options_.self_addresses.begin(), options_.self_addresses.end(), e.ip) !=
         options_.self_addresses.end();
}

// Evicts the unconnected candidate seen longest ago. False if every candidate is connected.
bool CandidateStore::MakeRoom(TopicEntries& entries) {
  auto stalest = entries.end();
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->second.c.connected) continue;
    if (stalest == entries.end() || it->second.c.last_seen < stalest->second.c.last_seen) stalest = it;
  }
  if (stalest == entries.end()) return false;
  entries.erase(stalest);
  --total_;
  ++evicted_;
  return true;
}

CandidateStore::Seen CandidateStore::Observe(const std::string& topic, const Endpoint& endpoint, PeerSource source,
                                             absl::Time now) {
  auto t = topics_.find(topic);
  if (t == topics_.end() || !Plausible(endpoint) || IsSelf(endpoint)) return Seen::kIgnored;
  TopicEntries& entries = t->second;
  auto it = entries.find(endpoint);
  if (it != entries.end()) {
    Candidate& c = it->second.c;
    c.sources.Add(source);
    c.last_source = source;
    c.last_seen = std::max(c.last_seen, now);
    return Seen::kKnown;
  }
  if (entries.size() >= options_.max_per_topic && !MakeRoom(entries)) return Seen::kIgnored;
  Entry entry;
  entry.c.topic = topic;
  entry.c.endpoint = endpoint;
  entry.c.sources.Add(source);
  entry.c.last_source = source;
  entry.c.first_seen = entry.c.last_seen = now;
  entries.emplace(endpoint, std::move(entry));
  ++total_;
  return Seen::kNew;
}

absl::Duration CandidateStore::BackoffDelay(int failures) {
  const double base_s = absl::ToDoubleSeconds(options_.backoff_initial);
  const double max_s = absl::ToDoubleSeconds(options_.backoff_max);
  const int exponent = std::clamp(failures - 1, 0, 60);
  const double delay_s = std::min(max_s, base_s * std::pow(options_.backoff_multiplier, exponent));
  // Jitter spreads the redials of peers that failed together (a LAN that went down).
  const double unit = static_cast<double>(random_->Uniform(1'000'000)) / 1e6;  // [0, 1)
  return absl::Seconds(delay_s * (1.0 + options_.backoff_jitter * (2.0 * unit - 1.0)));
}

absl::StatusOr<CandidateStore::DialUpdate> CandidateStore::ReportDial(const std::string& topic,
                                                                      const Endpoint& endpoint, DialOutcome outcome,
                                                                      absl::Time now) {
  auto t = topics_.find(topic);
  if (t == topics_.end()) return absl::NotFoundError("topic not joined");
  auto it = t->second.find(endpoint);
  if (it == t->second.end()) {
    return absl::NotFoundError(absl::StrCat("no candidate ", endpoint.ToString(), " (never found, or forgotten)"));
  }
  Entry& e = it->second;
  Candidate& c = e.c;
  e.generation = next_generation_++;
  switch (outcome) {
    case DialOutcome::kConnected:
      c.connected = true;
      c.backoff_until.reset();
      e.connected_since = now;
      break;
    case DialOutcome::kDisconnected:
      if (c.connected && now - e.connected_since >= options_.stable_connection) c.failures = 0;
      c.connected = false;
      ++c.failures;
      c.backoff_until = now + BackoffDelay(c.failures);
      break;
    case DialOutcome::kFailed:
      c.connected = false;
      ++c.failures;
      c.backoff_until = now + BackoffDelay(c.failures);
      break;
  }
  // A dial result is a sign of life (or of a peer worth retrying): keep it from expiring
  // while the replicator works on it.
  c.last_seen = std::max(c.last_seen, now);
  return DialUpdate{c, e.generation};
}

std::optional<Candidate> CandidateStore::TakeRedial(const std::string& topic, const Endpoint& endpoint,
                                                    uint64_t generation, absl::Time now) {
  auto t = topics_.find(topic);
  if (t == topics_.end()) return std::nullopt;
  auto it = t->second.find(endpoint);
  if (it == t->second.end()) return std::nullopt;
  Entry& e = it->second;
  if (e.generation != generation || e.c.connected || !e.c.backoff_until || *e.c.backoff_until > now ||
      now - e.c.last_seen >= options_.ttl) {
    return std::nullopt;
  }
  e.c.backoff_until.reset();
  return e.c;
}

std::vector<Candidate> CandidateStore::Expire(absl::Time now) {
  std::vector<Candidate> gone;
  for (auto& [topic, entries] : topics_) {
    for (auto it = entries.begin(); it != entries.end();) {
      if (!it->second.c.connected && now - it->second.c.last_seen >= options_.ttl) {
        gone.push_back(std::move(it->second.c));
        it = entries.erase(it);
        --total_;
      } else {
        ++it;
      }
    }
  }
  return gone;
}

std::vector<Candidate> CandidateStore::List(const std::string* topic) const {
  std::vector<Candidate> out;
  for (const auto& [name, entries] : topics_) {
    if (topic != nullptr && name != *topic) continue;
    for (const auto& [endpoint, entry] : entries) out.push_back(entry.c);
  }
  return out;
}

const Candidate* CandidateStore::Find(const std::string& topic, const Endpoint& endpoint) const {
  auto t = topics_.find(topic);
  if (t == topics_.end()) return nullptr;
  auto it = t->second.find(endpoint);
  return it == t->second.end() ? nullptr : &it->second.c;
}

size_t CandidateStore::CountFor(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : it->second.size();
}

}  // namespace evermirror::swarm
