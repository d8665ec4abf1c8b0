// This node's receipt log: what it did with each command (CommandReceipt) and how far each
// mirrored site has synced (SiteProgress). The log is also the applier's durable cursor: the
// last command receipt for a command log says how far that log is applied, so Open() reads the
// whole log back, and appending never writes two receipts for one (log, index).
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "evermirror/commands/v1/commands.pb.h"
#include "services/ingest/service_ports.h"
#include "shared/env/clock.h"

namespace evermirror::ingest {

// Thread-safe.
class ReceiptLog {
 public:
  static constexpr size_t kRecentPerLog = 100;

  // `logs` and `clock` must outlive the ReceiptLog.
  ReceiptLog(LogStore* logs, env::Clock* clock) : logs_(logs), clock_(clock) {}

  // Reads receipt log `key` from block 1 to its end: cursors and recent receipts. Unavailable
  // without the replicator; blocks that do not decode are skipped (logged).
  absl::Status Open(const std::string& key);
  const std::string& key() const { return key_; }

  // The index of the newest command of `log_key` with a receipt; 0 for none.
  uint64_t Cursor(const std::string& log_key) const;
  // Up to `n` newest command receipts for `log_key`, oldest first.
  std::vector<commands::v1::CommandReceipt> Recent(const std::string& log_key, size_t n) const;
  uint64_t length() const;

  // Appends a receipt for the command (receipt.log_key, receipt.index), unless one is already
  // in the log (then OK without writing). After a failed append whose outcome is unknown (the
  // replicator may have stored it), the log's tail is read again before the next append.
  absl::Status AppendCommandReceipt(const commands::v1::CommandReceipt& receipt);
  absl::Status AppendProgress(const commands::v1::SiteProgress& progress);

 private:
  absl::Status Append(commands::v1::Receipt receipt);
  // Reads blocks [length_, feed length) and folds them in. REQUIRES: append_mu_ held.
  absl::Status CatchUp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  void Fold(uint64_t index, const std::string& block);

  LogStore* const logs_;
  env::Clock* const clock_;
  std::string key_;  // set by Open, then constant
  absl::Mutex append_mu_;  // one append (or catch-up) at a time
  bool uncertain_ ABSL_GUARDED_BY(append_mu_) = false;
  mutable absl::Mutex mu_;
  uint64_t length_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, uint64_t> cursors_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<commands::v1::CommandReceipt>> recent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::ingest
