// PublishFolder: makes an archive's latest version mirror a folder, appending only what
// changed: new and modified files (content and a metadata node each) and deletions. Used by
// `evermirror site publish`.
//
// Change detection: a file is unchanged when the archive holds a file at the same path with
// the same size and mtime (milliseconds), as Dat's mirror-folder decides; it then costs
// nothing. A file whose size matches but mtime does not is compared byte for byte with the
// archive's copy: identical bytes get a metadata-only node that reuses the stored content
// blocks (touching a file costs one small block, not its content).
// Times: mtime and ctime are both the file's mtime, so publishing the same folder anywhere
// gives the same Stats. Folders are implicit (no mkdir nodes; empty folders are not published).
// Paths: the walk never follows symlinks (skipped with a warning, as are sockets, devices and
// FIFOs, and names a reference reader would misread), so nothing outside the folder is read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/drive/archive.h"
#include "shared/env/file_system.h"

namespace evermirror::drive {

struct PublishProgress {
  uint64_t files_done = 0;
  uint64_t files_total = 0;  // files to add or modify
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
};

struct PublishOptions {
  // Names left out at any depth (evermirror's link file, Dat's own folder).
  std::vector<std::string> ignore_names = {".evermirror-site", ".dat"};
  // Compare a touched file's bytes and reuse identical content (see above).
  bool reuse_identical_content = true;
  // Commit content, then metadata, at least every this many content bytes (bounds the work a
  // crash throws away).
  uint64_t group_bytes = 64u << 20;
  // Refuse folders with more entries than this.
  size_t max_entries = 1u << 20;
  // Called after each file; may be empty.
  std::function<void(const PublishProgress&)> on_progress;

  absl::Status Validate() const;
};

struct PublishReport {
  uint64_t version_before = 0;
  uint64_t version_after = 0;
  std::vector<std::string> added;
  std::vector<std::string> modified;   // includes touched files re-put without new content
  std::vector<std::string> deleted;
  uint64_t unchanged = 0;
  uint64_t reused_content = 0;         // modified files whose content blocks were reused
  std::vector<std::string> warnings;   // skipped entries, one line each
  uint64_t content_bytes_appended = 0;
  uint64_t metadata_bytes_appended = 0;
  uint64_t bytes_appended() const { return content_bytes_appended + metadata_bytes_appended; }
};

// Publishes `dir` (read through `fs`) into `archive`. FailedPrecondition if the archive is not
// writable; NotFound / InvalidArgument if `dir` is missing or not a folder; Aborted if a file
// changed while it was read (publish again); I/O errors as the FileSystem reports them.
absl::StatusOr<PublishReport> PublishFolder(Archive& archive, env::FileSystem& fs, const std::string& dir,
                                            const PublishOptions& options = {});

}  // namespace evermirror::drive
