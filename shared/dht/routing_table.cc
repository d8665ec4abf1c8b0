#include "shared/dht/routing_table.h"

#include <algorithm>

namespace evermirror::dht {

RoutingTable::RoutingTable(const NodeId& own_id, const RoutingTableOptions& options, absl::Time now)
    : own_id_(own_id), options_(options) {
  buckets_.push_back(Bucket{{}, {}, now});
}

int RoutingTable::BucketIndex(const NodeId& id) const {
  return std::min(CommonPrefixLength(own_id_, id), static_cast<int>(buckets_.size()) - 1);
}

bool RoutingTable::CanSplit(int index) const {
  // Only the last bucket contains our own id; 160 buckets is the most the id space allows.
  return index == static_cast<int>(buckets_.size()) - 1 && buckets_.size() < kIdBits;
}

void RoutingTable::Split() {
  const int old_index = static_cast<int>(buckets_.size()) - 1;
  buckets_.push_back(Bucket{{}, {}, buckets_[old_index].last_changed});
  Bucket& old_bucket = buckets_[old_index];
  Bucket& new_bucket = buckets_.back();
  const auto moves = [&](const RoutingEntry& e) { return CommonPrefixLength(own_id_, e.contact.id) > old_index; };
  for (auto* list : {&old_bucket.nodes, &old_bucket.replacements}) {
    auto* target = list == &old_bucket.nodes ? &new_bucket.nodes : &new_bucket.replacements;
    for (const RoutingEntry& e : *list) {
      if (moves(e)) target->push_back(e);
    }
    list->erase(std::remove_if(list->begin(), list->end(), moves), list->end());
  }
}

RoutingEntry* RoutingTable::FindEntry(const NodeId& id) {
  if (id == own_id_) return nullptr;
  for (RoutingEntry& e : buckets_[BucketIndex(id)].nodes) {
    if (e.contact.id == id) return &e;
  }
  return nullptr;
}

void RoutingTable::AddReplacement(Bucket& bucket, const Contact& contact, absl::Time now) {
  auto& r = bucket.replacements;
  r.erase(std::remove_if(r.begin(), r.end(), [&](const RoutingEntry& e) { return e.contact.id == contact.id; }),
          r.end());
  if (r.size() >= options_.max_replacements) r.erase(r.begin());
  r.push_back(RoutingEntry{contact, now, absl::InfinitePast(), 0});
}

RoutingTable::AddResult RoutingTable::OnResponse(const Contact& contact, absl::Time now) {
  if (contact.id == own_id_) return AddResult::kRejected;
  if (RoutingEntry* e = FindEntry(contact.id)) {
    if (e->contact.endpoint != contact.endpoint) return AddResult::kRejected;
    e->last_response = now;
    e->failures = 0;
    buckets_[BucketIndex(contact.id)].last_changed = now;
    return AddResult::kUpdated;
  }
  while (true) {
    const int index = BucketIndex(contact.id);
    Bucket& bucket = buckets_[index];
    if (bucket.nodes.size() < options_.k) {
      bucket.nodes.push_back(RoutingEntry{contact, now, absl::InfinitePast(), 0});
      bucket.last_changed = now;
      return AddResult::kAdded;
    }
    if (CanSplit(index)) {
      Split();
      continue;
    }
    auto bad = std::find_if(bucket.nodes.begin(), bucket.nodes.end(), [&](const auto& e) { return IsBad(e); });
    if (bad != bucket.nodes.end()) {
      *bad = RoutingEntry{contact, now, absl::InfinitePast(), 0};
      bucket.last_changed = now;
      return AddResult::kAdded;
    }
    AddReplacement(bucket, contact, now);
    return AddResult::kReplacement;
  }
}

bool RoutingTable::OnQuery(const Contact& contact, absl::Time now) {
  RoutingEntry* e = FindEntry(contact.id);
  if (e == nullptr || e->contact.endpoint != contact.endpoint) return false;
  e->last_query = now;
  return true;
}

void RoutingTable::OnTimeout(const Contact& contact) {
  if (contact.id == own_id_) return;
  Bucket& bucket = buckets_[BucketIndex(contact.id)];
  auto& r = bucket.replacements;
  r.erase(std::remove_if(r.begin(), r.end(), [&](const RoutingEntry& e) { return e.contact.id == contact.id; }),
          r.end());
  RoutingEntry* e = FindEntry(contact.id);
  if (e == nullptr || e->contact.endpoint != contact.endpoint) return;
  ++e->failures;
  if (IsBad(*e) && !r.empty()) {
    *e = r.back();
    r.pop_back();
  }
}

bool RoutingTable::Contains(const NodeId& id) const {
  return const_cast<RoutingTable*>(this)->FindEntry(id) != nullptr;
}

bool RoutingTable::HasRoomFor(const NodeId& id) const {
  if (id == own_id_) return false;
  const int index = BucketIndex(id);
  const Bucket& bucket = buckets_[index];
  if (bucket.nodes.size() < options_.k || CanSplit(index)) return true;
  return std::any_of(bucket.nodes.begin(), bucket.nodes.end(), [&](const auto& e) { return IsBad(e); });
}

NodeStatus RoutingTable::StatusOf(const RoutingEntry& entry, absl::Time now) const {
  if (IsBad(entry)) return NodeStatus::kBad;
  // BEP 5: good if it answered us recently, or answered us ever and queried us recently.
  if (now - entry.last_response < options_.good_window) return NodeStatus::kGood;
  if (entry.last_response != absl::InfinitePast() && now - entry.last_query < options_.good_window) {
    return NodeStatus::kGood;
  }
  return NodeStatus::kQuestionable;
}

std::vector<Contact> RoutingTable::Closest(const NodeId& target, size_t n) const {
  std::vector<Contact> all;
  for (const Bucket& b : buckets_) {
    for (const RoutingEntry& e : b.nodes) {
      if (!IsBad(e)) all.push_back(e.contact);
    }
  }
  const auto closer = [&](const Contact& a, const Contact& b) { return CloserTo(target, a.id, b.id); };
  const size_t keep = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), closer);
  all.resize(keep);
  return all;
}

std::vector<Contact> RoutingTable::NodesToPing(absl::Time now, size_t max) const {
  std::vector<const RoutingEntry*> questionable;
  for (const Bucket& b : buckets_) {
    for (const RoutingEntry& e : b.nodes) {
      if (StatusOf(e, now) == NodeStatus::kQuestionable) questionable.push_back(&e);
    }
  }
  std::sort(questionable.begin(), questionable.end(), [](const RoutingEntry* a, const RoutingEntry* b) {
    return std::max(a->last_response, a->last_query) < std::max(b->last_response, b->last_query);
  });
  std::vector<Contact> out;
  for (size_t i = 0; i < questionable.size() && out.size() < max; ++i) out.push_back(questionable[i]->contact);
  return out;
}

std::vector<int> RoutingTable::StaleBuckets(absl::Time now, absl::Duration refresh) const {
  std::vector<int> stale;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (now - buckets_[i].last_changed >= refresh) stale.push_back(static_cast<int>(i));
  }
  return stale;
}

NodeId RoutingTable::RefreshTarget(int bucket, env::Random& random) const {
  return NodeId::RandomWithPrefix(own_id_, std::min(bucket, kIdBits - 1), random);
}

void RoutingTable::MarkRefreshed(int bucket, absl::Time now) {
  if (bucket >= 0 && bucket < static_cast<int>(buckets_.size())) buckets_[bucket].last_changed = now;
}

std::vector<Contact> RoutingTable::AllContacts() const { return Closest(own_id_, size()); }

size_t RoutingTable::size() const {
  size_t n = 0;
  for (const Bucket& b : buckets_) n += b.nodes.size();
  return n;
}

}  // namespace evermirror::dht
