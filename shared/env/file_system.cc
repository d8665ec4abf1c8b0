#include "shared/env/file_system.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"

namespace evermirror::env {

absl::Status File::WriteAtV(uint64_t offset, const std::vector<std::string_view>& parts) {
  for (std::string_view part : parts) {
    EM_RETURN_IF_ERROR(WriteAt(offset, part));
    offset += part.size();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(FileSystem& fs, const std::string& path, uint64_t max_bytes) {
  EM_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(path, OpenMode::kReadOnly));
  EM_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": too large (", size, " bytes, limit ", max_bytes, ")"));
  }
  std::string out;
  EM_RETURN_IF_ERROR(file->ReadAt(0, size, &out));
  return out;
}

absl::Status WriteFileAtomic(FileSystem& fs, const std::string& path, std::string_view data, uint32_t mode) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  EM_RETURN_IF_ERROR(fs.RemoveAll(tmp));
  {
    EM_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(tmp, OpenMode::kReadWriteNew));
    // Permissions first, so secret material is never readable by others, not even briefly.
    EM_RETURN_IF_ERROR(fs.SetPermissions(tmp, mode));
    EM_RETURN_IF_ERROR(file->WriteAt(0, data));
    EM_RETURN_IF_ERROR(file->Sync());
  }
  EM_RETURN_IF_ERROR(fs.Rename(tmp, path));
  return fs.SyncDir(DirName(path));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(ToAbsl(dir), ToAbsl(name));
  return absl::StrCat(ToAbsl(dir), "/", ToAbsl(name));
}

std::string DirName(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace evermirror::env
