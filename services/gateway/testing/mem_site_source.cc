#include "services/gateway/testing/mem_site_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "shared/base/strings.h"

namespace evermirror::gateway {
namespace {

bool IsUnder(std::string_view path, std::string_view dir) {
  if (dir.empty()) return true;
  return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

}  // namespace

void MemSiteSource::AddSite(std::string_view key, std::string_view alias) {
  {
    absl::MutexLock lock(&mu_);
    Site& site = sites_[std::string(key)];
    site.alias = std::string(alias);
    if (!alias.empty()) aliases_[std::string(alias)] = std::string(key);
  }
  Notify({SiteChangeKind::kUpdated, std::string(key)});
  if (!alias.empty()) Notify({SiteChangeKind::kAliasesChanged, ""});
}

void MemSiteSource::AddAlias(std::string_view alias, std::string_view key) {
  {
    absl::MutexLock lock(&mu_);
    aliases_[std::string(alias)] = std::string(key);
  }
  Notify({SiteChangeKind::kAliasesChanged, ""});
}

void MemSiteSource::RemoveSite(std::string_view key) {
  {
    absl::MutexLock lock(&mu_);
    sites_.erase(std::string(key));
    for (auto it = aliases_.begin(); it != aliases_.end();) {
      it = it->second == key ? aliases_.erase(it) : std::next(it);
    }
  }
  Notify({SiteChangeKind::kRemoved, std::string(key)});
}

uint64_t MemSiteSource::Publish(std::string_view key, const std::map<std::string, std::string>& files,
                                const std::vector<std::string>& removed, bool complete) {
  uint64_t version;
  {
    absl::MutexLock lock(&mu_);
    Site& site = sites_.at(std::string(key));
    Tree tree = site.versions.empty() ? Tree() : site.versions.back();
    for (const auto& [path, data] : files) {
      tree[path] = File{std::make_shared<const std::string>(data), mtime_,
                        absl::StrCat("c", next_content_id_++)};
    }
    for (const std::string& path : removed) tree.erase(path);
    site.versions.push_back(std::move(tree));
    version = site.versions.size();
    if (complete) site.served = version;
  }
  Notify({SiteChangeKind::kUpdated, std::string(key)});
  return version;
}

void MemSiteSource::SetServedVersion(std::string_view key, uint64_t version) {
  {
    absl::MutexLock lock(&mu_);
    sites_.at(std::string(key)).served = version;
  }
  Notify({SiteChangeKind::kUpdated, std::string(key)});
}

void MemSiteSource::SetPathUnavailable(std::string_view key, std::string_view path,
                                       bool unavailable) {
  absl::MutexLock lock(&mu_);
  Site& site = sites_.at(std::string(key));
  if (unavailable) {
    site.unavailable.insert(std::string(path));
  } else {
    site.unavailable.erase(std::string(path));
  }
}

void MemSiteSource::SetFailure(absl::Status status) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
}

void MemSiteSource::SetMtime(absl::Time mtime) {
  absl::MutexLock lock(&mu_);
  mtime_ = mtime;
}

absl::StatusOr<SiteInfo> MemSiteSource::GetSite(std::string_view key) {
  ++get_site_calls_;
  absl::MutexLock lock(&mu_);
  if (!failure_.ok()) return failure_;
  auto it = sites_.find(key);
  if (it == sites_.end()) return absl::NotFoundError("site not mirrored");
  return SiteInfo{std::string(key), it->second.alias, it->second.served,
                  it->second.versions.size()};
}

absl::StatusOr<std::string> MemSiteSource::ResolveAlias(std::string_view alias) {
  absl::MutexLock lock(&mu_);
  if (!failure_.ok()) return failure_;
  auto it = aliases_.find(alias);
  if (it == aliases_.end()) return absl::NotFoundError("no such alias");
  return it->second;
}

absl::StatusOr<const MemSiteSource::Tree*> MemSiteSource::TreeLocked(std::string_view key,
                                                                     uint64_t version) {
  if (!failure_.ok()) return failure_;
  auto it = sites_.find(key);
  if (it == sites_.end()) return absl::NotFoundError("site not mirrored");
  if (version == 0 || version > it->second.versions.size()) {
    return absl::NotFoundError(absl::StrCat("no version ", version));
  }
  return &it->second.versions[version - 1];
}

absl::StatusOr<EntryStat> MemSiteSource::Stat(std::string_view key, uint64_t version,
                                              std::string_view path) {
  ++stat_calls_;
  absl::MutexLock lock(&mu_);
  auto tree = TreeLocked(key, version);
  if (!tree.ok()) return tree.status();
  auto it = (*tree)->find(path);
  if (it != (*tree)->end()) {
    return EntryStat{EntryType::kFile, it->second.data->size(), it->second.mtime,
                     it->second.content_id};
  }
  for (auto dir = (*tree)->lower_bound(path); dir != (*tree)->end(); ++dir) {
    if (IsUnder(dir->first, path)) return EntryStat{EntryType::kDirectory, 0, mtime_, ""};
    if (dir->first.compare(0, path.size(), path) != 0) break;
  }
  return absl::NotFoundError(absl::StrCat("no such path: ", ToAbsl(path)));
}

absl::StatusOr<std::vector<DirEntry>> MemSiteSource::List(std::string_view key, uint64_t version,
                                                         std::string_view path) {
  ++stat_calls_;
  absl::MutexLock lock(&mu_);
  auto tree = TreeLocked(key, version);
  if (!tree.ok()) return tree.status();
  if ((*tree)->count(path) != 0) return absl::InvalidArgumentError("not a directory");
  std::map<std::string, DirEntry> entries;
  const size_t skip = path.empty() ? 0 : path.size() + 1;
  for (const auto& [file_path, file] : **tree) {
    if (!IsUnder(file_path, path)) continue;
    const std::string_view rest = std::string_view(file_path).substr(skip);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      entries[std::string(rest)] = DirEntry{
          std::string(rest), EntryStat{EntryType::kFile, file.data->size(), file.mtime,
                                       file.content_id}};
    } else {
      const std::string name(rest.substr(0, slash));
      entries[name] = DirEntry{name, EntryStat{EntryType::kDirectory, 0, mtime_, ""}};
    }
  }
  if (entries.empty() && !path.empty()) return absl::NotFoundError("no such directory");
  std::vector<DirEntry> out;
  for (auto& [name, entry] : entries) out.push_back(std::move(entry));
  return out;
}

absl::Status MemSiteSource::Read(std::string_view key, uint64_t version, std::string_view path,
                                 uint64_t offset, uint64_t length, std::string* out) {
  ++read_calls_;
  absl::MutexLock lock(&mu_);
  auto tree = TreeLocked(key, version);
  if (!tree.ok()) return tree.status();
  if (sites_.find(key)->second.unavailable.count(path) != 0) {
    return absl::UnavailableError("blocks not downloaded yet");
  }
  auto it = (*tree)->find(path);
  if (it == (*tree)->end()) return absl::NotFoundError("no such file");
  const std::string& data = *it->second.data;
  if (offset > data.size()) return absl::OutOfRangeError("offset past end of file");
  out->assign(data, offset, length);
  return absl::OkStatus();
}

MemSiteSource::SubscriptionId MemSiteSource::Subscribe(ChangeCallback callback) {
  absl::MutexLock lock(&notify_mu_);
  const SubscriptionId id = next_subscription_++;
  callbacks_.emplace(id, std::move(callback));
  return id;
}

void MemSiteSource::Unsubscribe(SubscriptionId id) {
  absl::MutexLock lock(&notify_mu_);
  callbacks_.erase(id);
}

void MemSiteSource::Notify(const SiteChange& change) {
  absl::MutexLock lock(&notify_mu_);
  for (auto& [id, callback] : callbacks_) callback(change);
}

}  // namespace evermirror::gateway
