#include "services/ingest/testing/fake_ports.h"

#include "absl/strings/str_cat.h"

namespace evermirror::ingest::testing {

absl::Status CrashStatus() { return absl::AbortedError("simulated crash"); }

absl::Status FakeFollower::Follow(const std::string& key, Kind kind, bool sparse) {
  absl::MutexLock lock(&mu_);
  ++calls_;
  if (plan_ != nullptr && plan_->Hit()) return CrashStatus();
  if (!fail_.ok()) return fail_;
  followed_[key] = kind == Kind::kPlain ? "plain" : (sparse ? "drive-sparse" : "drive");
  return absl::OkStatus();
}

absl::Status FakeFollower::Unfollow(const std::string& key) {
  absl::MutexLock lock(&mu_);
  ++calls_;
  if (plan_ != nullptr && plan_->Hit()) return CrashStatus();
  if (!fail_.ok()) return fail_;
  followed_.erase(key);
  return absl::OkStatus();
}

void FakeFollower::FailWith(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_ = std::move(status);
}

std::map<std::string, std::string> FakeFollower::followed() const {
  absl::MutexLock lock(&mu_);
  return followed_;
}

int FakeFollower::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

absl::Status FakeJoiner::Join(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  joined_.insert(key);
  return absl::OkStatus();
}

absl::Status FakeJoiner::Leave(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  joined_.erase(key);
  return absl::OkStatus();
}

void FakeJoiner::FailWith(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_ = std::move(status);
}

std::set<std::string> FakeJoiner::joined() const {
  absl::MutexLock lock(&mu_);
  return joined_;
}

absl::Status FakeRoutes::ReplaceRoutes(const std::map<std::string, std::string>& aliases,
                                       const std::map<std::string, uint64_t>& pins) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  aliases_ = aliases;
  pins_ = pins;
  ++pushes_;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FakeRoutes::ServingVersion(const std::string& site) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  auto it = serving_.find(site);
  if (it == serving_.end()) return absl::NotFoundError("unknown site");
  return it->second;
}

void FakeRoutes::FailWith(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_ = std::move(status);
}

void FakeRoutes::SetServing(const std::string& site, uint64_t version) {
  absl::MutexLock lock(&mu_);
  serving_[site] = version;
}

std::map<std::string, std::string> FakeRoutes::aliases() const {
  absl::MutexLock lock(&mu_);
  return aliases_;
}

std::map<std::string, uint64_t> FakeRoutes::pins() const {
  absl::MutexLock lock(&mu_);
  return pins_;
}

int FakeRoutes::pushes() const {
  absl::MutexLock lock(&mu_);
  return pushes_;
}

absl::StatusOr<std::string> MemLogStore::Create() {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  std::string key = absl::StrCat(feeds_.size() + 1);
  key = std::string(64 - key.size(), '0') + key;
  feeds_[key];
  return key;
}

absl::StatusOr<uint64_t> MemLogStore::Append(const std::string& key, const std::vector<std::string>& blocks) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  auto it = feeds_.find(key);
  if (it == feeds_.end()) return absl::NotFoundError("unknown feed");
  it->second.insert(it->second.end(), blocks.begin(), blocks.end());
  return it->second.size();
}

absl::StatusOr<std::vector<std::optional<std::string>>> MemLogStore::Read(const std::string& key, uint64_t start,
                                                                          uint64_t count) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  auto it = feeds_.find(key);
  if (it == feeds_.end()) return absl::NotFoundError("unknown feed");
  std::vector<std::optional<std::string>> out;
  for (uint64_t i = start; i < it->second.size() && i < start + count; ++i) out.push_back(it->second[i]);
  return out;
}

absl::StatusOr<FeedView> MemLogStore::Get(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  auto it = feeds_.find(key);
  if (it == feeds_.end()) return absl::NotFoundError("unknown feed");
  FeedView view;
  view.length = view.downloaded = it->second.size();
  view.writable = true;
  return view;
}

void MemLogStore::FailWith(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_ = std::move(status);
}

std::vector<std::string> MemLogStore::Blocks(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = feeds_.find(key);
  return it == feeds_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<uint64_t> CrashingLogStore::Append(const std::string& key, const std::vector<std::string>& blocks) {
  if (key != crash_key_) return base_->Append(key, blocks);
  if (plan_->Hit()) return CrashStatus();
  absl::StatusOr<uint64_t> appended = base_->Append(key, blocks);
  if (appended.ok() && plan_->Hit()) return CrashStatus();
  return appended;
}

absl::Status CrashingFileSystem::Rename(const std::string& from, const std::string& to) {
  if (plan_->Hit()) return CrashStatus();
  absl::Status status = base_->Rename(from, to);
  if (status.ok() && plan_->Hit()) return CrashStatus();
  return status;
}

FeedWatcher::WatchId FakeWatcher::Watch(const std::string& key, std::function<void(const FeedView&)> on_change) {
  absl::MutexLock lock(&mu_);
  const WatchId id = next_++;
  watches_[id] = {key, std::move(on_change)};
  return id;
}

void FakeWatcher::Unwatch(WatchId id) {
  absl::MutexLock lock(&mu_);
  watches_.erase(id);
}

void FakeWatcher::Fire(const std::string& key, const FeedView& view) {
  std::vector<std::function<void(const FeedView&)>> targets;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, watch] : watches_) {
      if (watch.first == key) targets.push_back(watch.second);
    }
  }
  for (auto& target : targets) target(view);
}

std::set<std::string> FakeWatcher::watched() const {
  absl::MutexLock lock(&mu_);
  std::set<std::string> out;
  for (const auto& [id, watch] : watches_) out.insert(watch.first);
  return out;
}

}  // namespace evermirror::ingest::testing
