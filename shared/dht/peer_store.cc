#include "shared/dht/peer_store.h"

#include <algorithm>

namespace evermirror::dht {

bool PeerStore::Add(const NodeId& info_hash, const Endpoint& peer, absl::Time now) {
  auto it = peers_.find(info_hash);
  if (it == peers_.end()) {
    if (peers_.size() >= options_.max_info_hashes) {
      Expire(now);
      if (peers_.size() >= options_.max_info_hashes) return false;
    }
    it = peers_.emplace(info_hash, std::vector<Stored>()).first;
  }
  std::vector<Stored>& list = it->second;
  for (Stored& s : list) {
    if (s.peer == peer) {
      s.announced = now;
      return true;
    }
  }
  if (list.size() >= options_.max_peers_per_hash) {
    list.erase(std::min_element(list.begin(), list.end(),
                                [](const Stored& a, const Stored& b) { return a.announced < b.announced; }));
  }
  list.push_back(Stored{peer, now});
  return true;
}

std::vector<Endpoint> PeerStore::Get(const NodeId& info_hash, size_t max, absl::Time now,
                                     env::Random& random) const {
  std::vector<Endpoint> out;
  auto it = peers_.find(info_hash);
  if (it == peers_.end()) return out;
  for (const Stored& s : it->second) {
    if (now - s.announced < options_.ttl) out.push_back(s.peer);
  }
  if (out.size() > max) {
    // A partial Fisher-Yates shuffle picks a uniform sample of `max`.
    for (size_t i = 0; i < max; ++i) std::swap(out[i], out[i + random.Uniform(out.size() - i)]);
    out.resize(max);
  }
  return out;
}

void PeerStore::Expire(absl::Time now) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Stored& s) { return now - s.announced >= options_.ttl; }),
               list.end());
    it = list.empty() ? peers_.erase(it) : std::next(it);
  }
}

size_t PeerStore::peer_count() const {
  size_t n = 0;
  for (const auto& [hash, list] : peers_) n += list.size();
  return n;
}

}  // namespace evermirror::dht
