#include "shared/env/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"

namespace evermirror::env {
namespace {

constexpr size_t kMaxWriteChunk = 256 * 1024;

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  absl::Status ReadAt(uint64_t offset, size_t n, std::string* out) override {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, path_);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    out->resize(done);
    return absl::OkStatus();
  }

  absl::Status WriteAt(uint64_t offset, std::string_view data) override { return WriteParts(offset, &data, 1); }

  absl::Status WriteAtV(uint64_t offset, const std::vector<std::string_view>& parts) override {
    return WriteParts(offset, parts.data(), parts.size());
  }

  absl::Status StartWriteback() override {
    // Offset 0 and length 0 cover the whole file; pages already under writeback are skipped.
    if (::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE) != 0) return ErrnoToStatus(errno, path_);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoToStatus(errno, path_);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoToStatus(errno, path_);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoToStatus(errno, path_);
    return absl::OkStatus();
  }

 private:
  // Writes the `count` parts back to back from `offset` with pwritev, resuming after short
  // writes. Measured on ext4 over virtio: single writes of 512 KiB or more ran ~7x slower than
  // the same bytes in 256 KiB writes, so one call gathers at most kMaxWriteChunk bytes (and
  // kMaxWriteParts parts: 1 KiB blocks fill a chunk); smaller chunks cost nothing elsewhere.
  absl::Status WriteParts(uint64_t offset, const std::string_view* parts, size_t count) {
    constexpr size_t kMaxWriteParts = 256;  // on the stack: no allocation per write
    static_assert(kMaxWriteParts <= IOV_MAX);
    struct iovec iov[kMaxWriteParts];
    size_t part = 0;  // first part not yet fully written
    size_t skip = 0;  // bytes of parts[part] already written
    while (part < count) {
      size_t used = 0;
      size_t bytes = 0;
      for (size_t i = part; i < count && bytes < kMaxWriteChunk && used < kMaxWriteParts; ++i) {
        const size_t from = i == part ? skip : 0;
        const size_t n = std::min(parts[i].size() - from, kMaxWriteChunk - bytes);
        if (n > 0) iov[used++] = {const_cast<char*>(parts[i].data() + from), n};
        bytes += n;
      }
      ssize_t r = 0;
      if (used > 0) {
        r = ::pwritev(fd_, iov, static_cast<int>(used), static_cast<off_t>(offset));
        if (r < 0) {
          if (errno == EINTR) continue;
          return ErrnoToStatus(errno, path_);
        }
        if (r == 0) return absl::InternalError(absl::StrCat(path_, ": pwritev wrote nothing"));
      }
      offset += static_cast<uint64_t>(r);
      // Advance past what was written, including any empty parts.
      size_t left = static_cast<size_t>(r);
      while (part < count && left >= parts[part].size() - skip) {
        left -= parts[part].size() - skip;
        ++part;
        skip = 0;
      }
      skip += left;
    }
    return absl::OkStatus();
  }

  const int fd_;
  const std::string path_;
};

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

FileInfo InfoOf(const struct stat& st) {
  FileInfo info;
  info.type = TypeOf(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime = absl::TimeFromTimespec(st.st_mtim);
  info.mode = st.st_mode & 07777;
  return info;
}

}  // namespace

absl::Status ErrnoToStatus(int err, std::string_view context) {
  const std::string msg = absl::StrCat(ToAbsl(context), ": ", std::strerror(err));
  switch (err) {
    case ENOENT: case ENOTDIR: return absl::NotFoundError(msg);
    case EEXIST: return absl::AlreadyExistsError(msg);
    case EACCES: case EPERM: case EROFS: return absl::PermissionDeniedError(msg);
    case ENOSPC: case EDQUOT: return absl::ResourceExhaustedError(msg);
    case EINVAL: case ENAMETOOLONG: case EISDIR: return absl::InvalidArgumentError(msg);
    default: return absl::InternalError(msg);
  }
}

absl::StatusOr<std::unique_ptr<File>> PosixFileSystem::Open(const std::string& path, OpenMode mode) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::kReadOnly: flags |= O_RDONLY; break;
    case OpenMode::kReadWrite: flags |= O_RDWR | O_CREAT; break;
    case OpenMode::kReadWriteNew: flags |= O_RDWR | O_CREAT | O_EXCL; break;
  }
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoToStatus(errno, path);
  return std::unique_ptr<File>(new PosixFile(fd, path));
}

absl::Status PosixFileSystem::CreateDirs(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::AlreadyExistsError(absl::StrCat(path, ": exists and is not a directory"));
  }
  const std::string parent = DirName(path);
  if (parent != path && parent != "." && parent != "/") EM_RETURN_IF_ERROR(CreateDirs(parent));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoToStatus(errno, path);
  return absl::OkStatus();
}

absl::StatusOr<FileInfo> PosixFileSystem::Stat(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, path);
  return InfoOf(st);
}

absl::StatusOr<std::vector<DirEntry>> PosixFileSystem::List(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoToStatus(errno, dir);
  std::vector<DirEntry> out;
  while (struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // raced with a delete
    out.push_back({name, InfoOf(st)});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

absl::Status PosixFileSystem::RemoveAll(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(errno, path);
  }
  if (S_ISDIR(st.st_mode)) {
    EM_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, List(path));
    for (const DirEntry& e : entries) EM_RETURN_IF_ERROR(RemoveAll(JoinPath(path, e.name)));
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoToStatus(errno, path);
    return absl::OkStatus();
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoToStatus(errno, path);
  return absl::OkStatus();
}

absl::Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoToStatus(errno, from);
  return absl::OkStatus();
}

absl::Status PosixFileSystem::SetPermissions(const std::string& path, uint32_t mode) {
  if (::chmod(path.c_str(), mode) != 0) return ErrnoToStatus(errno, path);
  return absl::OkStatus();
}

absl::Status PosixFileSystem::SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoToStatus(err, dir);
  return absl::OkStatus();
}

FileSystem* DefaultFileSystem() {
  static PosixFileSystem* fs = new PosixFileSystem;
  return fs;
}

}  // namespace evermirror::env
