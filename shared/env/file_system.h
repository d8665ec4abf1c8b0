// The FileSystem seam: everything evermirror stores goes through it, so tests can swap in
// MemFileSystem (with simulated crashes) or FaultFileSystem (failing writes, full disks).
// Implementations: PosixFileSystem (posix_file_system.h), testing/mem_file_system.h,
// testing/fault_file_system.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evermirror::env {

// A file opened for positional I/O. Positional calls may run concurrently from several
// threads (as pread/pwrite do); Truncate and Sync may run concurrently with them.
class File {
 public:
  virtual ~File() = default;

  // Replaces *out with up to `n` bytes from `offset`. Fewer bytes only at end of file.
  virtual absl::Status ReadAt(uint64_t offset, size_t n, std::string* out) = 0;
  // Writes all of `data` at `offset`, extending the file (with zeros) as needed.
  // ResourceExhausted when the disk is full, Unavailable/Internal on other I/O errors.
  virtual absl::Status WriteAt(uint64_t offset, std::string_view data) = 0;
  // Writes the parts back to back from `offset`, as WriteAt would their concatenation, without
  // copying them into one buffer first. The default writes them one by one.
  virtual absl::Status WriteAtV(uint64_t offset, const std::vector<std::string_view>& parts);
  virtual absl::StatusOr<uint64_t> Size() = 0;
  virtual absl::Status Truncate(uint64_t size) = 0;
  // Makes every completed write durable (fdatasync).
  virtual absl::Status Sync() = 0;
  // Asks the OS to start writing this file's dirty pages to disk now, without waiting for it
  // (Linux sync_file_range WRITE). A hint that spreads the disk work of a later Sync over the
  // writes before it; it makes nothing durable. The default does nothing.
  virtual absl::Status StartWriteback() { return absl::OkStatus(); }
};

enum class OpenMode {
  kReadOnly,       // NotFound if missing
  kReadWrite,      // created (mode 0644) if missing
  kReadWriteNew,   // created; AlreadyExists if present
};

enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kRegular;
  uint64_t size = 0;
  absl::Time mtime = absl::UnixEpoch();
  uint32_t mode = 0;  // permission bits
};

struct DirEntry {
  std::string name;
  FileInfo info;  // of the entry itself; symlinks are not followed
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // Creates `path` and missing parents (mode 0755). OK if it exists as a directory.
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  // lstat(2): NotFound if missing.
  virtual absl::StatusOr<FileInfo> Stat(const std::string& path) = 0;
  // Entries of a directory, sorted by name, without "." and "..".
  virtual absl::StatusOr<std::vector<DirEntry>> List(const std::string& dir) = 0;
  // Removes a file or a whole tree. OK if missing.
  virtual absl::Status RemoveAll(const std::string& path) = 0;
  // rename(2): atomically replaces `to`.
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  virtual absl::Status SetPermissions(const std::string& path, uint32_t mode) = 0;
  // Makes entries created, renamed or removed in `dir` durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  bool Exists(const std::string& path) { return Stat(path).ok(); }
};

// Reads a whole file. InvalidArgument ("too large") if it exceeds `max_bytes`.
absl::StatusOr<std::string> ReadFile(FileSystem& fs, const std::string& path,
                                     uint64_t max_bytes = 64u << 20);

// Writes `data` to `path` so that a crash leaves either the old or the new content:
// write to a temporary sibling, sync, set `mode`, rename over, sync the directory.
absl::Status WriteFileAtomic(FileSystem& fs, const std::string& path, std::string_view data,
                             uint32_t mode = 0644);

// "a/b" + "c" -> "a/b/c". Does not normalise.
std::string JoinPath(std::string_view dir, std::string_view name);
// Parent directory of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string DirName(std::string_view path);

}  // namespace evermirror::env
