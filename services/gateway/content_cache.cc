#include "services/gateway/content_cache.h"

#include <utility>

#include "shared/base/bytes.h"

namespace evermirror::gateway {
namespace {

// Bookkeeping per entry besides the body: node, index slot, strings.
constexpr size_t kEntryOverhead = 256;

}  // namespace

ContentCache::ContentCache(size_t budget_bytes) : budget_bytes_(budget_bytes) {}

std::string ContentCache::MakeKey(std::string_view site, uint64_t version,
                                  std::string_view path) {
  std::string key;
  key.reserve(site.size() + 9 + path.size());
  key.push_back(static_cast<char>(site.size()));
  key.append(site);
  AppendU64BE(&key, version);
  key.append(path);
  return key;
}

std::shared_ptr<const CachedFile> ContentCache::Lookup(std::string_view site, uint64_t version,
                                                       std::string_view path) {
  const std::string key = MakeKey(site, version, path);
  absl::MutexLock lock(&mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->file;
}

uint64_t ContentCache::Generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

void ContentCache::Insert(std::string_view site, uint64_t version, std::string_view path,
                          std::shared_ptr<const CachedFile> file, uint64_t generation) {
  std::string key = MakeKey(site, version, path);
  const size_t cost = file->bytes.size() + key.size() + kEntryOverhead;
  if (cost > budget_bytes_) return;
  absl::MutexLock lock(&mu_);
  if (generation != generation_) return;
  if (auto it = index_.find(key); it != index_.end()) EraseLocked(it->second);
  while (bytes_ + cost > budget_bytes_ && !lru_.empty()) EraseLocked(std::prev(lru_.end()));
  lru_.push_front(Node{key, std::string(site), std::move(file), cost});
  index_.emplace(std::move(key), lru_.begin());
  bytes_ += cost;
}

void ContentCache::EraseLocked(List::iterator it) {
  bytes_ -= it->cost;
  index_.erase(it->key);
  lru_.erase(it);
}

void ContentCache::InvalidateSite(std::string_view site) {
  absl::MutexLock lock(&mu_);
  ++generation_;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->site == site) EraseLocked(it);
    it = next;
  }
}

void ContentCache::Clear() {
  absl::MutexLock lock(&mu_);
  ++generation_;
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

CacheStats ContentCache::Stats() const {
  absl::MutexLock lock(&mu_);
  return CacheStats{hits_, misses_, index_.size(), bytes_};
}

}  // namespace evermirror::gateway
