// MemFileSystem: an in-memory FileSystem that remembers which writes were synced, so a test can
// "crash" it and see what a real disk might have kept. Used to prove crash safety of storage.
//
// Model: file contents become durable only through File::Sync(); creating, renaming and
// removing entries is durable at once (as on a journalled file system after SyncDir).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "shared/env/file_system.h"

namespace evermirror::env {

enum class CrashMode {
  kKeepAll,           // a killed process: every completed write survives (page cache)
  kDropUnsynced,      // power loss: only synced content survives
  kKeepRandomSubset,  // power loss with arbitrary write-back: each unsynced write survives or
                      // not at random, and a surviving write may be torn to a prefix
};

// Thread-safe.
class MemFileSystem final : public FileSystem {
 public:
  MemFileSystem();
  ~MemFileSystem() override;

  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  absl::Status CreateDirs(const std::string& path) override;
  absl::StatusOr<FileInfo> Stat(const std::string& path) override;
  absl::StatusOr<std::vector<DirEntry>> List(const std::string& dir) override;
  absl::Status RemoveAll(const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status SetPermissions(const std::string& path, uint32_t mode) override;
  absl::Status SyncDir(const std::string& dir) override;

  // Simulates a crash: decides what of the unsynced writes survives (`seed` drives
  // kKeepRandomSubset). Handles opened before keep working on the surviving content, but
  // callers should reopen, as a restarted process would.
  void Crash(CrashMode mode, uint64_t seed = 0);

  // Test helpers: raw content (NotFound if missing) and overwrite without the write log.
  absl::StatusOr<std::string> Contents(const std::string& path);
  void SetContents(const std::string& path, std::string data);

  struct State;  // shared with open files

 private:
  std::shared_ptr<State> state_;
};

}  // namespace evermirror::env
