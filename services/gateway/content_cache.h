// ContentCache: a bounded LRU of whole small files in memory, keyed by (site, version,
// request path), so a hot small file costs no call to the site source. Entries are shared
// immutable objects: a response keeps its entry alive (zero-copy) after eviction.
// Invalidated per site by the source's change notifications.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/gateway/file_bytes.h"
#include "services/gateway/site_source.h"

namespace evermirror::gateway {

// A file ready to serve: its bytes and the headers derived from its metadata. Filled in
// before it is shared; immutable afterwards except for the prepared-response slots.
struct CachedFile {
  std::string file_path;     // the file served (e.g. "a/index.html" for request path "a")
  EntryStat stat;
  FileBytes bytes;           // the whole file
  std::string etag;          // quoted strong ETag
  std::string content_type;
  std::string last_modified; // IMF-fixdate

  // A complete 200 response per Cache-Control variant (0: latest URL, 1: versioned URL),
  // built by the HTTP server on first use and reused for plain GET/HEAD hits; opaque here
  // and released with the entry. Thread-safe.
  std::shared_ptr<void> Prepared(int variant) const {
    absl::MutexLock lock(&prepared_mu_);
    return prepared_[variant];
  }
  void SetPrepared(int variant, std::shared_ptr<void> response) const {
    absl::MutexLock lock(&prepared_mu_);
    prepared_[variant] = std::move(response);
  }

 private:
  mutable absl::Mutex prepared_mu_;
  mutable std::shared_ptr<void> prepared_[2] ABSL_GUARDED_BY(prepared_mu_);
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;
};

// Thread-safe.
class ContentCache {
 public:
  // `budget_bytes`: bytes of all entries (bodies plus a small per-entry overhead).
  explicit ContentCache(size_t budget_bytes);
  ContentCache(const ContentCache&) = delete;
  ContentCache& operator=(const ContentCache&) = delete;

  // The entry, refreshed as most recently used, or nullptr. Counts a hit or a miss.
  std::shared_ptr<const CachedFile> Lookup(std::string_view site, uint64_t version,
                                           std::string_view path);

  // A token to pass to Insert: taken before reading from the source, it makes Insert drop
  // data read before an invalidation of that site that raced with the read.
  uint64_t Generation() const;

  // Adds (or replaces) an entry, evicting least recently used ones to stay in budget. An
  // entry larger than the whole budget, or read before the last invalidation (`generation`
  // older than Generation() at that time), is not stored.
  void Insert(std::string_view site, uint64_t version, std::string_view path,
              std::shared_ptr<const CachedFile> file, uint64_t generation);

  // Drops every entry of `site` (all versions). Thread-safe with concurrent lookups.
  void InvalidateSite(std::string_view site);
  void Clear();

  CacheStats Stats() const;
  size_t budget_bytes() const { return budget_bytes_; }

 private:
  struct Node {
    std::string key;
    std::string site;
    std::shared_ptr<const CachedFile> file;
    size_t cost = 0;
  };
  using List = std::list<Node>;

  static std::string MakeKey(std::string_view site, uint64_t version, std::string_view path);
  void EraseLocked(List::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t budget_bytes_;
  mutable absl::Mutex mu_;
  List lru_ ABSL_GUARDED_BY(mu_);  // front: most recently used
  std::unordered_map<std::string, List::iterator> index_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::gateway
