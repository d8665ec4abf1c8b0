// SiteSource: the narrow interface through which the gateway's HTTP layer reads mirrored sites.
// The production implementation reads through the replicator's gRPC API and a hyperdrive
// reader; testing/mem_site_source.h is an in-memory fake for the HTTP logic tests.
// Everything here is about verified data only: a source never exposes unverified bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evermirror::gateway {

// Size of a site's public key (the hyperdrive metadata feed key), in bytes.
inline constexpr size_t kSiteKeySize = 32;

// What the gateway knows about one mirrored site.
struct SiteInfo {
  std::string key;    // raw 32-byte public key
  std::string alias;  // a short name for metrics and listings; may be empty
  // The newest version whose blocks are all downloaded and verified (0: none yet, the site
  // cannot be served; requests get 503 with Retry-After). Served for unversioned URLs.
  uint64_t served_version = 0;
  // The newest version known (from the signed metadata feed length), complete or not.
  // Always >= served_version.
  uint64_t latest_version = 0;
};

enum class EntryType { kFile, kDirectory };

struct EntryStat {
  EntryType type = EntryType::kFile;
  uint64_t size = 0;                   // bytes of a file; 0 for a directory
  absl::Time mtime = absl::UnixEpoch();
  // Identifies the file's bytes independently of the version: equal ids in one site mean
  // equal bytes, and a file left unchanged by later versions keeps its id. For hyperdrive,
  // the content feed (byte offset, size) encoded in any stable way; a content hash works too.
  // The gateway derives strong ETags from (site key, content_id). Empty for directories.
  std::string content_id;
};

struct DirEntry {
  std::string name;  // one path segment, no '/'
  EntryStat stat;
};

enum class SiteChangeKind {
  kUpdated,  // versions changed (new version known or a version became complete)
  kRemoved,  // no longer mirrored: stop serving it at once
  kAliasesChanged,  // the set of aliases changed (any site)
};

struct SiteChange {
  SiteChangeKind kind = SiteChangeKind::kUpdated;
  std::string key;  // raw key; empty for kAliasesChanged
};

// Paths are relative to the site root, normalised, without a leading '/': "" is the root,
// "a/b.html" a file. Every method is thread-safe and may block (HTTP worker threads call
// them). Errors: NotFound (no such site, version or path), Unavailable (the data exists but
// is not downloaded/verified yet, or the backend is down: retry later), InvalidArgument
// (e.g. reading a directory), others as the backend reports them.
class SiteSource {
 public:
  using ChangeCallback = std::function<void(const SiteChange&)>;
  using SubscriptionId = uint64_t;

  virtual ~SiteSource() = default;

  // The site with raw public key `key`. NotFound if it is not mirrored.
  virtual absl::StatusOr<SiteInfo> GetSite(std::string_view key) = 0;

  // Resolves an alias (a lower-case host name such as "blog.example.org", or one label such
  // as "blog") to a site's raw key. NotFound if no site has that alias.
  virtual absl::StatusOr<std::string> ResolveAlias(std::string_view alias) = 0;

  // Stats `path` in version `version` of the site. NotFound if the path (or the version,
  // when > latest) does not exist; Unavailable if that version's metadata is incomplete.
  virtual absl::StatusOr<EntryStat> Stat(std::string_view key, uint64_t version,
                                         std::string_view path) = 0;

  // Entries of directory `path` in `version`, sorted by name. NotFound if missing,
  // InvalidArgument if `path` is a file.
  virtual absl::StatusOr<std::vector<DirEntry>> List(std::string_view key, uint64_t version,
                                                     std::string_view path) = 0;

  // Replaces *out with the `length` bytes of file `path` (in `version`) from `offset`; fewer
  // only at end of file. Unavailable if a needed block is not downloaded and verified.
  virtual absl::Status Read(std::string_view key, uint64_t version, std::string_view path,
                            uint64_t offset, uint64_t length, std::string* out) = 0;

  // Registers `callback`, run for every change from then on until Unsubscribe returns (which
  // waits for a running call). Callbacks may run on any thread, must not block for long and
  // must not call Subscribe/Unsubscribe.
  virtual SubscriptionId Subscribe(ChangeCallback callback) = 0;
  virtual void Unsubscribe(SubscriptionId id) = 0;
};

}  // namespace evermirror::gateway
