// The applier: reads a command log from its cursor and applies each command exactly once, in
// log order. Per command: decode -> decide (command_rules.h) -> write the state file -> push
// the effects (effect_pusher.h) -> append the receipt. The cursor is the receipt log itself; a
// crash between the state write and the receipt is finished on the next run with the decision
// the state file recorded (the effects are idempotent), so every command gets one receipt.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "services/ingest/command_rules.h"
#include "services/ingest/effect_pusher.h"
#include "services/ingest/ingest_metrics.h"
#include "services/ingest/receipt_log.h"
#include "services/ingest/service_ports.h"
#include "services/ingest/state_store.h"
#include "shared/env/clock.h"

namespace evermirror::ingest {

struct ApplierDeps {
  LogStore* logs = nullptr;         // the command logs, read through the replicator
  StateStore* state = nullptr;      // loaded
  ReceiptLog* receipts = nullptr;   // opened on this node's receipt log
  EffectPusher* effects = nullptr;
  IngestMetrics* metrics = nullptr;
  env::Clock* clock = nullptr;
  std::set<std::string> configured_owners;  // hex
  // Called after each APPLIED command's receipt (the desired state changed).
  std::function<void()> on_state_changed;
};

// Not thread-safe: one caller at a time (the ingest worker, under its apply lock).
class CommandApplier {
 public:
  // Everything in `deps` must outlive the applier.
  explicit CommandApplier(ApplierDeps deps) : deps_(std::move(deps)) {}

  // Applies the commands of `log_key` after its cursor, up to the end of what the replicator
  // holds or the first block not downloaded yet. OK when caught up. On an error (replicator
  // unreachable, state file not writable) it stops at the failing command; the next call
  // continues there. NotFound if the replicator does not hold the log (yet). With `limit`, it
  // stops after that many commands and sets *more (so other logs get their turn).
  absl::Status Pump(const std::string& log_key, size_t limit = SIZE_MAX, bool* more = nullptr);

 private:
  absl::Status ApplyOne(const std::string& log_key, uint64_t index, const std::string& block);
  // The decision for a command: the one the state file recorded for (log, index) if any (a
  // run that died before the receipt), else a new one, committed when APPLIED.
  absl::StatusOr<Verdict> DecideAndCommit(const std::string& log_key, uint64_t index, const Rejection& decoded,
                                          const cmd::Command& command);
  void Count(const Verdict& verdict, const cmd::Command& command);

  ApplierDeps deps_;
};

// The keys a command's effects touch.
Touched TouchedBy(const cmd::Command& command);

}  // namespace evermirror::ingest
