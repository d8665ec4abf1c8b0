// SiteDirectory: a cache in front of SiteSource::GetSite and ::ResolveAlias, so that the
// per-request site lookup costs no backend call. Kept fresh by the source's change
// notifications (OnChange), which RequestHandler forwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/gateway/site_source.h"

namespace evermirror::gateway {

// Thread-safe.
class SiteDirectory {
 public:
  // `source` must outlive this. At most `max_entries` sites and aliases each are cached
  // (NotFound answers included, so unknown names cost one backend call per invalidation).
  SiteDirectory(SiteSource* source, size_t max_entries);

  // SiteSource::GetSite, cached. Errors other than NotFound are not cached.
  absl::StatusOr<SiteInfo> GetSite(std::string_view key);

  // The raw key for `alias`, nullopt if no site has it; errors as the source reports them
  // (not cached).
  absl::StatusOr<std::optional<std::string>> ResolveAlias(std::string_view alias);

  // Applies a change notification: forgets the site (and, for removals and alias changes,
  // every alias answer).
  void OnChange(const SiteChange& change);

 private:
  SiteSource* const source_;
  const size_t max_entries_;
  absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by every change
  // key -> info, or nullopt for "not mirrored".
  std::unordered_map<std::string, std::optional<SiteInfo>> sites_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::optional<std::string>> aliases_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::gateway
