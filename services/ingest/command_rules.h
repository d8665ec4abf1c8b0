// What a command does to ingest's desired state: who may send it (owners, controllers and
// their scopes and expiry), whether it is for this box, and the new state when it applies.
// Pure functions over IngestState; the applier (command_applier.h) persists and pushes.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "evermirror/commands/v1/commands.pb.h"
#include "evermirror/ingest/v1/state.pb.h"
#include "services/ingest/command_codec.h"

namespace evermirror::ingest {

using IngestState = ::evermirror::ingest::v1::IngestState;

enum class LogRole { kSelf, kConfigured, kAdded, kController };
const char* LogRoleName(LogRole role);

// Every command log ingest follows, by key: this node's own log, owners from configuration
// and from the admin API, and every controller an owner authorized (revoked ones too).
std::map<std::string, LogRole> FollowedLogs(const IngestState& state, const std::set<std::string>& configured);

// Whether `key` is an owner now (its commands may do anything).
bool IsOwner(const IngestState& state, const std::set<std::string>& configured, const std::string& key);

struct RuleContext {
  const std::set<std::string>* configured_owners = nullptr;  // [ingest] owners, hex
  absl::Time now;
};

struct Verdict {
  cmd::Outcome outcome = cmd::OUTCOME_UNSPECIFIED;
  Rejection rejection;  // REJECTED: why
  std::string note;     // APPLIED: for people ("already mirrored"), may be empty
};

// Decides a valid command (see DecodeCommand) from command log `log_key`. IGNORED when `to`
// names other boxes only; REJECTED when the log's key may not send it (untrusted, revoked,
// expired, out of scope) or it cannot apply (precondition: e.g. an alias for a site not
// mirrored); APPLIED otherwise, with *state updated. *state is untouched unless APPLIED.
Verdict Decide(const RuleContext& context, const std::string& log_key, const cmd::Command& command,
               IngestState* state);

}  // namespace evermirror::ingest
