// FileSystem over POSIX calls (pread/pwrite/fdatasync). The one production implementation.
#pragma once

#include "shared/env/file_system.h"

namespace evermirror::env {

// Thread-safe; stateless. errno maps to: ENOENT NotFound, EEXIST AlreadyExists,
// EACCES/EPERM PermissionDenied, ENOSPC/EDQUOT ResourceExhausted, others Internal.
class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  absl::Status CreateDirs(const std::string& path) override;
  absl::StatusOr<FileInfo> Stat(const std::string& path) override;
  absl::StatusOr<std::vector<DirEntry>> List(const std::string& dir) override;
  absl::Status RemoveAll(const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status SetPermissions(const std::string& path, uint32_t mode) override;
  absl::Status SyncDir(const std::string& dir) override;
};

// A process-wide instance.
FileSystem* DefaultFileSystem();

// Maps an errno value to a Status whose message names `context` (usually the path).
absl::Status ErrnoToStatus(int err, std::string_view context);

}  // namespace evermirror::env
