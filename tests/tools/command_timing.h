// Times one command end to end on a running box: from the laptop's AppendCommand until the
// box's receipt for it shows in the box's receipt log, watched live on the box's replicator.
// Shared by tests/ingest (the latency test) and bench/e2e (issue 6's figures).
#pragma once

#include <atomic>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evermirror/ingest/v1/ingest.pb.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/crypto/crypto.h"

namespace evermirror::testing {

struct CommandTiming {
  ingest::v1::AppendCommandResponse sent;  // what `append` appended
  absl::Time appended;                     // just before the append
  absl::Time receipted;                    // when the box's receipt log showed its receipt
};

// Watches `receipts` (the box's receipt log) through `box`; once the watch is up, calls
// `append` and waits until a receipt names what it appended. Errors: the append's, the
// watch's, or Unavailable when the watch ended first (`cancel` set, the box went away).
absl::StatusOr<CommandTiming> TimeCommandToReceipt(
    replicator::ReplicatorClient& box, const crypto::PublicKey& receipts,
    const std::function<absl::StatusOr<ingest::v1::AppendCommandResponse>()>& append,
    std::atomic<bool>* cancel = nullptr);

}  // namespace evermirror::testing
