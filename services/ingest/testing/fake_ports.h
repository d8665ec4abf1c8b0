// Test doubles for ingest's ports (service_ports.h): recording fakes of the swarm, gateway and
// replicator follow calls that fail on demand, an in-memory LogStore, a manually fired
// FeedWatcher, and a crash plan that makes a chosen side effect "kill" the process.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/ingest/service_ports.h"
#include "shared/env/file_system.h"

namespace evermirror::ingest::testing {

// Numbers side effects; the one numbered `crash_at` fails (the "process dies" there).
// Thread-safe.
class CrashPlan {
 public:
  explicit CrashPlan(int crash_at = -1) : crash_at_(crash_at) {}
  // True for the step that must crash.
  bool Hit() {
    absl::MutexLock lock(&mu_);
    return steps_++ == crash_at_;
  }
  int steps() const {
    absl::MutexLock lock(&mu_);
    return steps_;
  }
  bool crashed() const {
    absl::MutexLock lock(&mu_);
    return crash_at_ >= 0 && steps_ > crash_at_;
  }

 private:
  mutable absl::Mutex mu_;
  const int crash_at_;
  int steps_ = 0;
};

absl::Status CrashStatus();  // what a crashed step returns

class FakeFollower final : public FeedFollower {
 public:
  absl::Status Follow(const std::string& key, Kind kind, bool sparse) override;
  absl::Status Unfollow(const std::string& key) override;
  void FailWith(absl::Status status);  // every call fails until FailWith(OK)
  void set_crash_plan(CrashPlan* plan) { plan_ = plan; }
  std::map<std::string, std::string> followed() const;  // key -> "plain" | "drive" | "drive-sparse"
  int calls() const;

 private:
  mutable absl::Mutex mu_;
  absl::Status fail_;
  CrashPlan* plan_ = nullptr;
  std::map<std::string, std::string> followed_;
  int calls_ = 0;
};

class FakeJoiner final : public TopicJoiner {
 public:
  absl::Status Join(const std::string& key) override;
  absl::Status Leave(const std::string& key) override;
  void FailWith(absl::Status status);
  std::set<std::string> joined() const;

 private:
  mutable absl::Mutex mu_;
  absl::Status fail_;
  std::set<std::string> joined_;
};

class FakeRoutes final : public RouteSink {
 public:
  absl::Status ReplaceRoutes(const std::map<std::string, std::string>& aliases,
                             const std::map<std::string, uint64_t>& pins) override;
  absl::StatusOr<uint64_t> ServingVersion(const std::string& site) override;
  void FailWith(absl::Status status);
  void SetServing(const std::string& site, uint64_t version);
  std::map<std::string, std::string> aliases() const;
  std::map<std::string, uint64_t> pins() const;
  int pushes() const;

 private:
  mutable absl::Mutex mu_;
  absl::Status fail_;
  std::map<std::string, std::string> aliases_;
  std::map<std::string, uint64_t> pins_;
  std::map<std::string, uint64_t> serving_;
  int pushes_ = 0;
};

// An in-memory LogStore (no signatures): feeds are vectors of blocks.
class MemLogStore final : public LogStore {
 public:
  absl::StatusOr<std::string> Create() override;
  absl::StatusOr<uint64_t> Append(const std::string& key, const std::vector<std::string>& blocks) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> Read(const std::string& key, uint64_t start,
                                                               uint64_t count) override;
  absl::StatusOr<FeedView> Get(const std::string& key) override;
  void FailWith(absl::Status status);
  std::vector<std::string> Blocks(const std::string& key) const;

 private:
  mutable absl::Mutex mu_;
  absl::Status fail_;
  std::map<std::string, std::vector<std::string>> feeds_;
};

// Wraps a LogStore; appends to `crash_key` go through the crash plan twice: before the append
// (nothing stored) and after it (stored, but the caller sees a failure).
class CrashingLogStore final : public LogStore {
 public:
  CrashingLogStore(LogStore* base, CrashPlan* plan) : base_(base), plan_(plan) {}
  void set_crash_key(std::string key) { crash_key_ = std::move(key); }
  absl::StatusOr<std::string> Create() override { return base_->Create(); }
  absl::StatusOr<uint64_t> Append(const std::string& key, const std::vector<std::string>& blocks) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> Read(const std::string& key, uint64_t start,
                                                               uint64_t count) override {
    return base_->Read(key, start, count);
  }
  absl::StatusOr<FeedView> Get(const std::string& key) override { return base_->Get(key); }

 private:
  LogStore* const base_;
  CrashPlan* const plan_;
  std::string crash_key_;
};

// Wraps a FileSystem; every rename (the commit point of WriteFileAtomic) goes through the
// crash plan twice: before it (the old file stays) and after it (the new one is in place).
class CrashingFileSystem final : public env::FileSystem {
 public:
  CrashingFileSystem(env::FileSystem* base, CrashPlan* plan) : base_(base), plan_(plan) {}
  absl::StatusOr<std::unique_ptr<env::File>> Open(const std::string& path, env::OpenMode mode) override {
    return base_->Open(path, mode);
  }
  absl::Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  absl::StatusOr<env::FileInfo> Stat(const std::string& path) override { return base_->Stat(path); }
  absl::StatusOr<std::vector<env::DirEntry>> List(const std::string& dir) override { return base_->List(dir); }
  absl::Status RemoveAll(const std::string& path) override { return base_->RemoveAll(path); }
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status SetPermissions(const std::string& path, uint32_t mode) override {
    return base_->SetPermissions(path, mode);
  }
  absl::Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }

 private:
  env::FileSystem* const base_;
  CrashPlan* const plan_;
};

// A FeedWatcher fired by hand: Fire(key, view) calls every watch of `key` on the caller's thread.
class FakeWatcher final : public FeedWatcher {
 public:
  WatchId Watch(const std::string& key, std::function<void(const FeedView&)> on_change) override;
  void Unwatch(WatchId id) override;
  void Fire(const std::string& key, const FeedView& view);
  std::set<std::string> watched() const;

 private:
  mutable absl::Mutex mu_;
  WatchId next_ = 1;
  std::map<WatchId, std::pair<std::string, std::function<void(const FeedView&)>>> watches_;
};

}  // namespace evermirror::ingest::testing
