#include "shared/drive/publish.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"

namespace evermirror::drive {
namespace {

struct LocalFile {
  std::string disk_path;
  Names names;
  uint64_t size = 0;
  uint64_t mtime_ms = 0;
};

struct Scan {
  std::map<std::string, LocalFile> files;  // by archive path
  std::vector<std::string> warnings;
  size_t entries = 0;
};

class FolderScanner {
 public:
  FolderScanner(env::FileSystem& fs, const PublishOptions& options, Scan* scan)
      : fs_(fs), options_(options), scan_(scan) {}

  absl::Status Walk(const std::string& disk_dir, const Names& names) {
    EM_ASSIGN_OR_RETURN(std::vector<env::DirEntry> entries, fs_.List(disk_dir));
    for (const env::DirEntry& e : entries) {
      if (++scan_->entries > options_.max_entries) {
        return absl::ResourceExhaustedError(absl::StrCat("the folder has more than ", options_.max_entries, " entries"));
      }
      const std::string disk_path = env::JoinPath(disk_dir, e.name);
      if (std::find(options_.ignore_names.begin(), options_.ignore_names.end(), e.name) != options_.ignore_names.end()) {
        continue;
      }
      if (!IsWritableComponent(e.name)) {
        Warn(disk_path, "its name cannot be stored in an archive");
        continue;
      }
      Names child = names;
      child.push_back(e.name);
      switch (e.info.type) {
        case env::FileType::kDirectory:
          EM_RETURN_IF_ERROR(Walk(disk_path, child));
          break;
        case env::FileType::kRegular:
          scan_->files[JoinNames(child)] =
              LocalFile{disk_path, child, e.info.size, static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(e.info.mtime)))};
          break;
        case env::FileType::kSymlink:
          Warn(disk_path, "symbolic links are not published");
          break;
        case env::FileType::kOther:
          Warn(disk_path, "not a regular file");
          break;
      }
    }
    return absl::OkStatus();
  }

 private:
  void Warn(const std::string& path, std::string_view why) {
    scan_->warnings.push_back(absl::StrCat("skipped ", path, ": ", ToAbsl(why)));
    log::Debug("publish_skipped").Kv("path", path).Kv("reason", why);
  }

  env::FileSystem& fs_;
  const PublishOptions& options_;
  Scan* scan_;
};

// Whether the archive's copy (`stat`) holds exactly the bytes of `file`.
absl::StatusOr<bool> SameContent(Snapshot& snapshot, const Stat& stat, env::FileSystem& fs, const LocalFile& file) {
  EM_ASSIGN_OR_RETURN(std::unique_ptr<env::File> f, fs.Open(file.disk_path, env::OpenMode::kReadOnly));
  uint64_t offset = 0;
  bool same = true;
  std::string disk;
  absl::Status status = snapshot.ReadContent(stat, 0, stat.size, [&](std::string_view piece) {
    EM_RETURN_IF_ERROR(f->ReadAt(offset, piece.size(), &disk));
    offset += piece.size();
    if (disk != piece) {
      same = false;
      return absl::CancelledError("differs");
    }
    return absl::OkStatus();
  });
  if (!same) return false;
  EM_RETURN_IF_ERROR(status);
  return offset == file.size;
}

class Publisher {
 public:
  Publisher(Archive& archive, env::FileSystem& fs, const PublishOptions& options, PublishReport* report)
      : archive_(archive), fs_(fs), options_(options), report_(report) {}

  absl::Status Run(const Scan& scan) {
    Snapshot latest = archive_.Latest();
    EM_ASSIGN_OR_RETURN(auto listed, latest.ListFiles("/"));
    std::map<std::string, Stat> existing(listed.begin(), listed.end());
    // Deletions first: a path may turn from a file into a folder or back.
    for (const auto& [path, stat] : existing) {
      if (scan.files.count(path)) continue;
      EM_RETURN_IF_ERROR(archive_.DeleteNode(SplitName(path)));
      report_->deleted.push_back(path);
    }
    std::vector<const LocalFile*> to_write;
    for (const auto& [path, file] : scan.files) {
      auto it = existing.find(path);
      if (it == existing.end()) {
        report_->added.push_back(path);
        to_write.push_back(&file);
        expected_[path] = std::nullopt;
        continue;
      }
      expected_[path] = it->second;
      if (it->second.size == file.size && it->second.mtime_ms == file.mtime_ms) {
        ++report_->unchanged;
        continue;
      }
      report_->modified.push_back(path);
      if (options_.reuse_identical_content && it->second.size == file.size) {
        EM_ASSIGN_OR_RETURN(bool same, SameContent(latest, it->second, fs_, file));
        if (same) {
          Stat touched = it->second;
          touched.mtime_ms = touched.ctime_ms = file.mtime_ms;
          EM_RETURN_IF_ERROR(archive_.PutStat(file.names, touched));
          expected_[path] = touched;
          ++report_->reused_content;
          continue;
        }
      }
      to_write.push_back(&file);
    }
    EM_RETURN_IF_ERROR(WriteFiles(to_write));
    if (!report_->deleted.empty()) EM_RETURN_IF_ERROR(Repair(scan));
    return archive_.Flush();
  }

 private:
  absl::Status WriteFiles(const std::vector<const LocalFile*>& files) {
    PublishProgress progress;
    progress.files_total = files.size();
    for (const LocalFile* f : files) progress.bytes_total += f->size;
    std::vector<std::pair<const LocalFile*, Stat>> group;
    uint64_t group_bytes = 0;
    for (const LocalFile* file : files) {
      EM_ASSIGN_OR_RETURN(Stat stat, AddContent(*file));
      group.emplace_back(file, stat);
      group_bytes += file->size;
      if (group_bytes >= options_.group_bytes) {
        EM_RETURN_IF_ERROR(CommitGroup(&group));
        group_bytes = 0;
      }
      ++progress.files_done;
      progress.bytes_done += file->size;
      if (options_.on_progress) options_.on_progress(progress);
    }
    return CommitGroup(&group);
  }

  absl::StatusOr<Stat> AddContent(const LocalFile& file) {
    EM_ASSIGN_OR_RETURN(std::unique_ptr<env::File> f, fs_.Open(file.disk_path, env::OpenMode::kReadOnly));
    auto read = [&f](uint64_t offset, size_t n, std::string* out) { return f->ReadAt(offset, n, out); };
    EM_ASSIGN_OR_RETURN(Stat stat, archive_.AppendContent(file.size, read, FileTimes{file.mtime_ms, file.mtime_ms}));
    EM_ASSIGN_OR_RETURN(env::FileInfo after, fs_.Stat(file.disk_path));
    if (after.size != file.size || absl::ToUnixMillis(after.mtime) != static_cast<int64_t>(file.mtime_ms)) {
      return absl::AbortedError(absl::StrCat(file.disk_path, " changed while it was published; publish again"));
    }
    return stat;
  }

  // Content first, durably; then the nodes that reference it.
  absl::Status CommitGroup(std::vector<std::pair<const LocalFile*, Stat>>* group) {
    EM_RETURN_IF_ERROR(archive_.CommitContent());
    for (const auto& [file, stat] : *group) {
      EM_RETURN_IF_ERROR(archive_.PutStat(file->names, stat));
      expected_[JoinNames(file->names)] = stat;
    }
    group->clear();
    return archive_.Flush();
  }

  // append-tree's delete can drop a sibling branch whose newest node is itself a deletion
  // (its closest() skips such nodes). The reference has the same quirk; re-put what a
  // deletion lost, reusing the stored content, so the version mirrors the folder.
  absl::Status Repair(const Scan& scan) {
    EM_ASSIGN_OR_RETURN(auto listed, archive_.Latest().ListFiles("/"));
    std::map<std::string, Stat> now(listed.begin(), listed.end());
    for (const auto& [path, file] : scan.files) {
      const std::optional<Stat>& want = expected_[path];
      auto it = now.find(path);
      if (!want.has_value() || (it != now.end() && it->second == *want)) continue;
      log::Warn("publish_repair").Kv("path", path);
      EM_RETURN_IF_ERROR(archive_.PutStat(file.names, *want));
    }
    return absl::OkStatus();
  }

  Archive& archive_;
  env::FileSystem& fs_;
  const PublishOptions& options_;
  PublishReport* report_;
  std::map<std::string, std::optional<Stat>> expected_;  // what each folder file should read as
};

}  // namespace

absl::Status PublishOptions::Validate() const {
  if (group_bytes == 0) return absl::InvalidArgumentError("group_bytes must be positive");
  if (max_entries == 0) return absl::InvalidArgumentError("max_entries must be positive");
  return absl::OkStatus();
}

absl::StatusOr<PublishReport> PublishFolder(Archive& archive, env::FileSystem& fs, const std::string& dir,
                                            const PublishOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  if (!archive.writable()) {
    return absl::FailedPreconditionError("this site is read-only here: its secret key is not on this machine");
  }
  absl::StatusOr<env::FileInfo> info = fs.Stat(dir);
  if (absl::IsNotFound(info.status())) return absl::NotFoundError(absl::StrCat(dir, ": no such folder"));
  EM_RETURN_IF_ERROR(info.status());
  if (info->type != env::FileType::kDirectory) return absl::InvalidArgumentError(absl::StrCat(dir, ": not a folder"));
  Scan scan;
  EM_RETURN_IF_ERROR(FolderScanner(fs, options, &scan).Walk(dir, {}));
  PublishReport report;
  report.warnings = std::move(scan.warnings);
  report.version_before = archive.version();
  const uint64_t content_before = archive.content().byte_length();
  const uint64_t metadata_before = archive.metadata().byte_length();
  EM_RETURN_IF_ERROR(Publisher(archive, fs, options, &report).Run(scan));
  report.version_after = archive.version();
  report.content_bytes_appended = archive.content().byte_length() - content_before;
  report.metadata_bytes_appended = archive.metadata().byte_length() - metadata_before;
  return report;
}

}  // namespace evermirror::drive
