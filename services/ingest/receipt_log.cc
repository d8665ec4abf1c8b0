#include "services/ingest/receipt_log.h"

#include "absl/strings/str_cat.h"
#include "services/ingest/command_codec.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"

namespace evermirror::ingest {
namespace {

constexpr uint64_t kReadBatch = 256;

}  // namespace

absl::Status ReceiptLog::Open(const std::string& key) {
  absl::MutexLock append_lock(&append_mu_);
  {
    absl::MutexLock lock(&mu_);
    key_ = key;
    length_ = 1;  // block 0 is the header
    cursors_.clear();
    recent_.clear();
  }
  return CatchUp();
}

absl::Status ReceiptLog::CatchUp() {
  EM_ASSIGN_OR_RETURN(FeedView view, logs_->Get(key_));
  uint64_t next = length();
  while (next < view.length) {
    EM_ASSIGN_OR_RETURN(auto blocks, logs_->Read(key_, next, std::min(kReadBatch, view.length - next)));
    if (blocks.empty()) break;
    for (const std::optional<std::string>& block : blocks) {
      if (!block.has_value()) return absl::DataLossError(absl::StrCat("receipt log block ", next, " is missing"));
      Fold(next++, *block);
    }
  }
  uncertain_ = false;
  return absl::OkStatus();
}

void ReceiptLog::Fold(uint64_t index, const std::string& block) {
  absl::StatusOr<commands::v1::Receipt> receipt = DecodeReceipt(block);
  absl::MutexLock lock(&mu_);
  length_ = std::max(length_, index + 1);
  if (!receipt.ok()) {
    log::Warn("receipt_undecodable").Kv("index", index).Kv("status", receipt.status());
    return;
  }
  if (!receipt->has_command()) return;
  const commands::v1::CommandReceipt& c = receipt->command();
  uint64_t& cursor = cursors_[c.log_key()];
  cursor = std::max(cursor, c.index());
  std::deque<commands::v1::CommandReceipt>& recent = recent_[c.log_key()];
  recent.push_back(c);
  if (recent.size() > kRecentPerLog) recent.pop_front();
}

uint64_t ReceiptLog::Cursor(const std::string& log_key) const {
  absl::MutexLock lock(&mu_);
  auto it = cursors_.find(log_key);
  return it == cursors_.end() ? 0 : it->second;
}

std::vector<commands::v1::CommandReceipt> ReceiptLog::Recent(const std::string& log_key, size_t n) const {
  absl::MutexLock lock(&mu_);
  auto it = recent_.find(log_key);
  if (it == recent_.end()) return {};
  const size_t skip = it->second.size() > n ? it->second.size() - n : 0;
  return std::vector<commands::v1::CommandReceipt>(it->second.begin() + static_cast<long>(skip), it->second.end());
}

uint64_t ReceiptLog::length() const {
  absl::MutexLock lock(&mu_);
  return length_;
}

absl::Status ReceiptLog::AppendCommandReceipt(const commands::v1::CommandReceipt& receipt) {
  commands::v1::Receipt r;
  *r.mutable_command() = receipt;
  return Append(std::move(r));
}

absl::Status ReceiptLog::AppendProgress(const commands::v1::SiteProgress& progress) {
  commands::v1::Receipt r;
  *r.mutable_progress() = progress;
  return Append(std::move(r));
}

absl::Status ReceiptLog::Append(commands::v1::Receipt receipt) {
  absl::MutexLock append_lock(&append_mu_);
  if (key_.empty()) return absl::FailedPreconditionError("the receipt log is not open");
  if (uncertain_) EM_RETURN_IF_ERROR(CatchUp());
  if (receipt.has_command() && Cursor(receipt.command().log_key()) >= receipt.command().index()) {
    return absl::OkStatus();  // already receipted (the earlier append did land)
  }
  *receipt.mutable_at() = ToStamp(clock_->Now());
  const std::string block = EncodeReceipt(receipt);
  absl::StatusOr<uint64_t> appended = logs_->Append(key_, {block});
  if (!appended.ok()) {
    uncertain_ = true;
    return appended.status();
  }
  Fold(*appended - 1, block);
  return absl::OkStatus();
}

}  // namespace evermirror::ingest
