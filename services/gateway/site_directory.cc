#include "services/gateway/site_directory.h"

#include <utility>

namespace evermirror::gateway {

SiteDirectory::SiteDirectory(SiteSource* source, size_t max_entries)
    : source_(source), max_entries_(max_entries) {}

absl::StatusOr<SiteInfo> SiteDirectory::GetSite(std::string_view key_view) {
  std::string key(key_view);
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = sites_.find(key); it != sites_.end()) {
      if (!it->second.has_value()) return absl::NotFoundError("site not mirrored");
      return *it->second;
    }
    generation = generation_;
  }
  absl::StatusOr<SiteInfo> info = source_->GetSite(key);
  if (!info.ok() && !absl::IsNotFound(info.status())) return info;
  absl::MutexLock lock(&mu_);
  // A change that arrived during the call may have made the answer stale: do not keep it.
  if (generation == generation_) {
    if (sites_.size() >= max_entries_) sites_.clear();
    sites_[key] = info.ok() ? std::optional<SiteInfo>(*info) : std::nullopt;
  }
  return info;
}

absl::StatusOr<std::optional<std::string>> SiteDirectory::ResolveAlias(std::string_view alias_view) {
  std::string alias(alias_view);
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = aliases_.find(alias); it != aliases_.end()) return it->second;
    generation = generation_;
  }
  absl::StatusOr<std::string> key = source_->ResolveAlias(alias);
  if (!key.ok() && !absl::IsNotFound(key.status())) return key.status();
  std::optional<std::string> answer;
  if (key.ok()) answer = std::move(*key);
  absl::MutexLock lock(&mu_);
  if (generation == generation_) {
    if (aliases_.size() >= max_entries_) aliases_.clear();
    aliases_[alias] = answer;
  }
  return answer;
}

void SiteDirectory::OnChange(const SiteChange& change) {
  absl::MutexLock lock(&mu_);
  ++generation_;
  switch (change.kind) {
    case SiteChangeKind::kUpdated:
      sites_.erase(change.key);
      break;
    case SiteChangeKind::kRemoved:
    case SiteChangeKind::kAliasesChanged:
      sites_.erase(change.key);
      aliases_.clear();
      break;
  }
}

}  // namespace evermirror::gateway
