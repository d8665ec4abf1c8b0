// FaultFileSystem: wraps another FileSystem and injects the faults storage code must survive:
// a failing Nth write, a process that dies at its Nth write (optionally tearing it), a full
// disk, failing syncs. Pair it with MemFileSystem::Crash() to test recovery after the fault.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "shared/env/file_system.h"

namespace evermirror::env {

// Thread-safe. Counters cover WriteAt and Truncate calls made through this wrapper.
class FaultFileSystem final : public FileSystem {
 public:
  explicit FaultFileSystem(FileSystem* base) : base_(base) {}

  // The write with 0-based number `n` fails once with an I/O error (nothing written).
  void FailWriteNumber(int64_t n) { fail_write_number_ = n; }
  // Simulates death at write number `n`: it and every later write or sync fail. If `torn`,
  // write `n` first stores a prefix of its data (half of it), as a killed pwrite may.
  void DieAtWrite(int64_t n, bool torn) {
    die_at_write_ = n;
    torn_ = torn;
  }
  // Writes that would grow the total size of files beyond `bytes` fail with
  // ResourceExhausted after writing what fits (as a short write before ENOSPC does).
  void SetCapacity(uint64_t bytes);
  void FailSyncs(bool fail) { fail_syncs_ = fail; }
  // Runs `hook` at the start of every sync (of a file or a directory), on the syncing thread;
  // a test blocks in it to force an interleaving of concurrent commits.
  void SetSyncHook(std::function<void()> hook) ABSL_LOCKS_EXCLUDED(mu_);
  void ClearFaults();

  int64_t writes() const { return writes_; }
  int64_t syncs() const { return syncs_; }
  int64_t writebacks() const { return writebacks_; }  // File::StartWriteback calls
  bool dead() const { return dead_; }

  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  absl::Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  absl::StatusOr<FileInfo> Stat(const std::string& path) override { return base_->Stat(path); }
  absl::StatusOr<std::vector<DirEntry>> List(const std::string& dir) override { return base_->List(dir); }
  absl::Status RemoveAll(const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status SetPermissions(const std::string& path, uint32_t mode) override {
    return base_->SetPermissions(path, mode);
  }
  absl::Status SyncDir(const std::string& dir) override;

  // Used by the wrapped files.
  absl::Status BeforeWrite(File* file, uint64_t offset, std::string_view data, size_t* allowed);
  absl::Status BeforeSync();
  void AfterTruncate(uint64_t old_size, uint64_t new_size);
  void CountWriteback() { ++writebacks_; }

 private:
  FileSystem* const base_;
  std::atomic<int64_t> fail_write_number_{-1};
  std::atomic<int64_t> die_at_write_{-1};
  std::atomic<bool> torn_{false};
  std::atomic<bool> fail_syncs_{false};
  std::atomic<bool> dead_{false};
  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> syncs_{0};
  std::atomic<int64_t> writebacks_{0};
  absl::Mutex mu_;
  uint64_t capacity_ ABSL_GUARDED_BY(mu_) = ~0ull;
  uint64_t used_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> sync_hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::env
