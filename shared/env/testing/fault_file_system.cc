#include "shared/env/testing/fault_file_system.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"

namespace evermirror::env {
namespace {

class FaultFile final : public File {
 public:
  FaultFile(FaultFileSystem* fs, std::unique_ptr<File> base) : fs_(fs), base_(std::move(base)) {}

  absl::Status ReadAt(uint64_t offset, size_t n, std::string* out) override {
    return base_->ReadAt(offset, n, out);
  }

  absl::Status WriteAt(uint64_t offset, std::string_view data) override {
    size_t allowed = data.size();
    absl::Status fault = fs_->BeforeWrite(base_.get(), offset, data, &allowed);
    if (allowed > 0) EM_RETURN_IF_ERROR(base_->WriteAt(offset, data.substr(0, allowed)));
    return fault;
  }

  absl::StatusOr<uint64_t> Size() override { return base_->Size(); }

  absl::Status Truncate(uint64_t size) override {
    size_t allowed = 0;
    EM_RETURN_IF_ERROR(fs_->BeforeWrite(base_.get(), size, {}, &allowed));
    EM_ASSIGN_OR_RETURN(uint64_t old_size, base_->Size());
    EM_RETURN_IF_ERROR(base_->Truncate(size));
    fs_->AfterTruncate(old_size, size);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    EM_RETURN_IF_ERROR(fs_->BeforeSync());
    return base_->Sync();
  }

  absl::Status StartWriteback() override {
    fs_->CountWriteback();
    return base_->StartWriteback();
  }

 private:
  FaultFileSystem* const fs_;
  std::unique_ptr<File> base_;
};

absl::Status Dead() { return absl::UnavailableError("injected: process is dead"); }

}  // namespace

void FaultFileSystem::SetCapacity(uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  capacity_ = bytes;
}

void FaultFileSystem::ClearFaults() {
  fail_write_number_ = -1;
  die_at_write_ = -1;
  fail_syncs_ = false;
  dead_ = false;
  absl::MutexLock lock(&mu_);
  capacity_ = ~0ull;
}

absl::StatusOr<std::unique_ptr<File>> FaultFileSystem::Open(const std::string& path, OpenMode mode) {
  if (dead_ && mode != OpenMode::kReadOnly) return Dead();
  EM_ASSIGN_OR_RETURN(std::unique_ptr<File> base, base_->Open(path, mode));
  return std::unique_ptr<File>(new FaultFile(this, std::move(base)));
}

absl::Status FaultFileSystem::RemoveAll(const std::string& path) {
  if (dead_) return Dead();
  return base_->RemoveAll(path);
}

absl::Status FaultFileSystem::Rename(const std::string& from, const std::string& to) {
  if (dead_) return Dead();
  return base_->Rename(from, to);
}

absl::Status FaultFileSystem::SyncDir(const std::string& dir) {
  EM_RETURN_IF_ERROR(BeforeSync());
  return base_->SyncDir(dir);
}

// `*allowed` is how many bytes of `data` may still be written; the returned status is the
// fault the caller reports after writing them.
absl::Status FaultFileSystem::BeforeWrite(File* file, uint64_t offset, std::string_view data, size_t* allowed) {
  *allowed = data.size();
  if (dead_) {
    *allowed = 0;
    return Dead();
  }
  const int64_t n = writes_++;
  if (n == die_at_write_) {
    dead_ = true;
    *allowed = torn_ ? data.size() / 2 : 0;
    return Dead();
  }
  if (n == fail_write_number_) {
    *allowed = 0;
    return absl::InternalError(absl::StrCat("injected: I/O error on write #", n));
  }
  if (data.empty()) return absl::OkStatus();
  absl::StatusOr<uint64_t> size = file->Size();
  if (!size.ok()) return size.status();
  const uint64_t end = offset + data.size();
  absl::MutexLock lock(&mu_);
  const uint64_t growth = end > *size ? end - *size : 0;
  if (used_ + growth <= capacity_) {
    used_ += growth;
    return absl::OkStatus();
  }
  // Bytes overwriting existing content always fit; new bytes only up to the capacity.
  const uint64_t room = capacity_ > used_ ? capacity_ - used_ : 0;
  const uint64_t overwrite = *size > offset ? std::min<uint64_t>(*size - offset, data.size()) : 0;
  *allowed = static_cast<size_t>(std::min<uint64_t>(data.size(), overwrite + room));
  used_ += *allowed > overwrite ? *allowed - overwrite : 0;
  return absl::ResourceExhaustedError("injected: no space left on device");
}

void FaultFileSystem::SetSyncHook(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  sync_hook_ = std::move(hook);
}

absl::Status FaultFileSystem::BeforeSync() {
  ++syncs_;
  std::function<void()> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = sync_hook_;
  }
  if (hook) hook();
  if (dead_) return Dead();
  if (fail_syncs_) return absl::InternalError("injected: sync failed");
  return absl::OkStatus();
}

void FaultFileSystem::AfterTruncate(uint64_t old_size, uint64_t new_size) {
  if (new_size >= old_size) return;
  absl::MutexLock lock(&mu_);
  used_ -= std::min(used_, old_size - new_size);
}

}  // namespace evermirror::env
