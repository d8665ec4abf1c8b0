#include "tests/tools/receipts.h"

#include <algorithm>

#include "shared/crypto/key_text.h"
#include "shared/rpc/client.h"

namespace evermirror::testing {

namespace iv1 = ::evermirror::ingest::v1;
namespace cmd = ::evermirror::commands::v1;

std::optional<cmd::Receipt> AwaitReceipt(iv1::IngestAdmin::StubInterface& reader, const std::string& box_key,
                                         uint64_t* from, const std::function<bool(const cmd::Receipt&)>& match,
                                         absl::Duration timeout, OnReceiptsError on_error) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    rpc::PrepareContext(&context, absl::Seconds(20));
    iv1::GetReceiptsRequest request;
    request.set_box_key(box_key);
    request.set_from_index(*from);
    request.set_wait_ms(1000);  // answered as soon as a receipt arrives
    iv1::GetReceiptsResponse response;
    if (!reader.GetReceipts(&context, request, &response).ok()) {
      if (on_error == OnReceiptsError::kGiveUp) return std::nullopt;
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    for (const iv1::IndexedReceipt& r : response.receipts()) {
      *from = r.index() + 1;
      if (match(r.receipt())) return r.receipt();
    }
  }
  return std::nullopt;
}

std::map<uint64_t, int> CommandReceipts(replicator::ReplicatorClient& box, const std::string& receipt_log_key,
                                        const std::string& command_log_key) {
  std::map<uint64_t, int> out;
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyText(receipt_log_key);
  if (!key.ok()) return out;
  absl::StatusOr<replicator::v1::FeedStatus> feed = box.GetFeed(*key);
  if (!feed.ok()) return out;
  // Block 0 is the log's header, not a receipt.
  for (uint64_t start = 1; start < feed->length(); start += 512) {
    auto blocks = box.ReadBlocks(*key, start, std::min<uint64_t>(512, feed->length() - start), false,
                                 absl::ZeroDuration());
    if (!blocks.ok()) break;
    for (const replicator::BlockRead& b : *blocks) {
      cmd::Receipt r;
      if (b.data && r.ParseFromString(*b.data) && r.has_command() && r.command().log_key() == command_log_key) {
        ++out[r.command().index()];
      }
    }
  }
  return out;
}

}  // namespace evermirror::testing
