#include "shared/dht/lookup.h"

#include <algorithm>

namespace evermirror::dht {

LookupState::LookupState(const NodeId& target, const NodeId& self, const LookupOptions& options)
    : target_(target), self_(self), options_(options) {}

void LookupState::InsertSorted(Candidate candidate) {
  auto pos = std::lower_bound(candidates_.begin(), candidates_.end(), candidate,
                              [&](const Candidate& a, const Candidate& b) {
                                return CloserTo(target_, a.contact.id, b.contact.id);
                              });
  candidates_.insert(pos, std::move(candidate));
  if (candidates_.size() > options_.max_candidates) {
    // Forget the farthest candidate that is not waiting on a reply.
    for (auto it = candidates_.end(); it != candidates_.begin();) {
      --it;
      if (it->state != State::kInFlight) {
        candidates_.erase(it);
        break;
      }
    }
  }
}

void LookupState::AddCandidate(const Contact& contact) {
  if (contact.id == self_ || contact.endpoint.ip == 0 || contact.endpoint.port == 0) return;
  if (endpoints_.count(contact.endpoint) > 0 || ids_.count(contact.id) > 0) return;
  endpoints_.insert(contact.endpoint);
  ids_.insert(contact.id);
  InsertSorted(Candidate{contact, State::kNew, std::nullopt});
}

void LookupState::AddSeed(const Endpoint& endpoint) {
  if (endpoint.ip == 0 || endpoint.port == 0 || !endpoints_.insert(endpoint).second) return;
  seeds_.push_back(Seed{endpoint, State::kNew});
}

LookupState::Candidate* LookupState::NextCandidate() {
  size_t live = 0;
  for (Candidate& c : candidates_) {
    if (live >= options_.k) break;
    if (c.state == State::kFailed) continue;
    ++live;
    if (c.state == State::kNew) return &c;
  }
  return nullptr;
}

std::vector<LookupState::Target> LookupState::TakeNextQueries() {
  std::vector<Target> out;
  while (in_flight_ < options_.alpha && queries_sent_ < options_.max_queries) {
    auto seed = std::find_if(seeds_.begin(), seeds_.end(), [](const Seed& s) { return s.state == State::kNew; });
    if (seed != seeds_.end()) {
      seed->state = State::kInFlight;
      out.push_back(Target{seed->endpoint, std::nullopt});
    } else if (Candidate* c = NextCandidate()) {
      c->state = State::kInFlight;
      out.push_back(Target{c->contact.endpoint, c->contact.id});
    } else {
      break;
    }
    ++in_flight_;
    ++queries_sent_;
  }
  return out;
}

void LookupState::OnResponse(const Endpoint& from, const NodeId& id, std::optional<std::string> token) {
  for (auto it = seeds_.begin(); it != seeds_.end(); ++it) {
    if (it->endpoint != from || it->state != State::kInFlight) continue;
    --in_flight_;
    ++responses_;
    seeds_.erase(it);
    // A seed that answers becomes an ordinary responder, so it can be announced to.
    if (id != self_ && ids_.insert(id).second) InsertSorted(Candidate{Contact{id, from}, State::kResponded, token});
    return;
  }
  for (Candidate& c : candidates_) {
    if (c.contact.endpoint != from || c.state != State::kInFlight) continue;
    --in_flight_;
    ++responses_;
    // A node answering with another id than we were told is not the node we looked for.
    c.state = c.contact.id == id ? State::kResponded : State::kFailed;
    c.token = std::move(token);
    return;
  }
}

void LookupState::OnFailure(const Endpoint& from) {
  for (Seed& s : seeds_) {
    if (s.endpoint == from && s.state == State::kInFlight) {
      s.state = State::kFailed;
      --in_flight_;
      return;
    }
  }
  for (Candidate& c : candidates_) {
    if (c.contact.endpoint == from && c.state == State::kInFlight) {
      c.state = State::kFailed;
      --in_flight_;
      return;
    }
  }
}

bool LookupState::HasWork() const {
  if (queries_sent_ >= options_.max_queries) return false;
  if (std::any_of(seeds_.begin(), seeds_.end(), [](const Seed& s) { return s.state == State::kNew; })) return true;
  return const_cast<LookupState*>(this)->NextCandidate() != nullptr;
}

bool LookupState::Done() const { return in_flight_ == 0 && !HasWork(); }

std::vector<std::pair<Contact, std::string>> LookupState::ClosestWithTokens() const {
  std::vector<std::pair<Contact, std::string>> out;
  for (const Candidate& c : candidates_) {
    if (out.size() >= options_.k) break;
    if (c.state == State::kResponded && c.token.has_value()) out.emplace_back(c.contact, *c.token);
  }
  return out;
}

std::vector<Contact> LookupState::ClosestResponders() const {
  std::vector<Contact> out;
  for (const Candidate& c : candidates_) {
    if (out.size() >= options_.k) break;
    if (c.state == State::kResponded) out.push_back(c.contact);
  }
  return out;
}

}  // namespace evermirror::dht
