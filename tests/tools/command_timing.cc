#include "tests/tools/command_timing.h"

#include <optional>

#include "absl/time/clock.h"
#include "evermirror/commands/v1/commands.pb.h"

namespace evermirror::testing {

absl::StatusOr<CommandTiming> TimeCommandToReceipt(
    replicator::ReplicatorClient& box, const crypto::PublicKey& receipts,
    const std::function<absl::StatusOr<ingest::v1::AppendCommandResponse>()>& append, std::atomic<bool>* cancel) {
  CommandTiming timing;
  std::optional<absl::Status> append_error;
  bool sent = false, receipted = false;
  uint64_t seen = 0;
  absl::Status watched = box.Watch(receipts, [&](const replicator::v1::FeedStatus& status) {
    if (!sent) {  // the watch is up: append now
      seen = status.length();
      timing.appended = absl::Now();
      absl::StatusOr<ingest::v1::AppendCommandResponse> appended = append();
      if (!appended.ok()) {
        append_error = appended.status();
        return false;
      }
      timing.sent = *std::move(appended);
      sent = true;
      return true;
    }
    // A watch also reports changes that add no block (the feed's peers, what is downloaded):
    // nothing to read then (ReadBlocks refuses a count of 0).
    if (status.length() <= seen) return true;
    auto blocks = box.ReadBlocks(receipts, seen, status.length() - seen, false, absl::ZeroDuration());
    if (!blocks.ok()) return false;
    seen = status.length();
    for (const replicator::BlockRead& b : *blocks) {
      commands::v1::Receipt r;
      if (b.data && r.ParseFromString(*b.data) && r.command().log_key() == timing.sent.log_key() &&
          r.command().index() == timing.sent.index()) {
        timing.receipted = absl::Now();
        receipted = true;
        return false;
      }
    }
    return true;
  }, cancel);
  if (append_error.has_value()) return *append_error;
  if (!watched.ok()) return watched;
  if (!receipted) return absl::UnavailableError("the watch of the box's receipt log ended before the receipt");
  return timing;
}

}  // namespace evermirror::testing
