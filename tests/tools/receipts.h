// Reading a box's receipts in the multi-process tests (tests/ingest, tests/e2e): following
// them through an ingest's GetReceipts long poll, and counting the command receipts stored in
// the box's receipt log.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "evermirror/commands/v1/commands.pb.h"
#include "evermirror/ingest/v1/ingest.grpc.pb.h"
#include "services/replicator/client/replicator_client.h"

namespace evermirror::testing {

// What AwaitReceipt does when GetReceipts fails: retry (the reader does not follow the box
// yet, or its ingest is restarting) or give up at once (the test expects no such error).
enum class OnReceiptsError { kRetry, kGiveUp };

// Follows box `box_key`'s receipt log as `reader` (an ingest) sees it, from `*from` (advanced
// past every receipt read), until `match` accepts a receipt, which is returned. Long polls,
// so a receipt is seen as soon as it arrives. nullopt after `timeout` or on a given-up error.
std::optional<commands::v1::Receipt> AwaitReceipt(ingest::v1::IngestAdmin::StubInterface& reader,
                                                  const std::string& box_key, uint64_t* from,
                                                  const std::function<bool(const commands::v1::Receipt&)>& match,
                                                  absl::Duration timeout, OnReceiptsError on_error);

// Every command receipt stored in the receipt log `receipt_log_key` (read through the box's
// replicator) for commands of `command_log_key`, counted by command index. Empty if the
// log cannot be read.
std::map<uint64_t, int> CommandReceipts(replicator::ReplicatorClient& box, const std::string& receipt_log_key,
                                        const std::string& command_log_key);

}  // namespace evermirror::testing
