#include "services/ingest/command_applier.h"

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"

namespace evermirror::ingest {
namespace {

constexpr uint64_t kReadBatch = 64;

Verdict FromStored(const v1::StoredDecision& d) {
  Verdict v;
  v.outcome = d.outcome();
  v.note = d.reason();
  return v;
}


}  // namespace

Touched TouchedBy(const cmd::Command& c) {
  Touched t;
  switch (c.body_case()) {
    case cmd::Command::kMirrorAdd:
      t.sites = {c.mirror_add().site_key()};
      t.routes = true;
      break;
    case cmd::Command::kMirrorRemove:
      t.sites = {c.mirror_remove().site_key()};
      t.routes = true;
      break;
    case cmd::Command::kSetAlias:
    case cmd::Command::kUnsetAlias:
    case cmd::Command::kPin:
    case cmd::Command::kUnpin:
      t.routes = true;
      break;
    case cmd::Command::kAuthorize:
      t.feeds = {c.authorize().controller_key()};
      break;
    default:
      break;
  }
  return t;
}

absl::Status CommandApplier::Pump(const std::string& log_key, size_t limit, bool* more) {
  if (more != nullptr) *more = false;
  uint64_t next = deps_.receipts->Cursor(log_key) + 1;
  EM_ASSIGN_OR_RETURN(FeedView view, deps_.logs->Get(log_key));
  size_t applied = 0;
  while (next < view.length) {
    const uint64_t count = std::min<uint64_t>({kReadBatch, view.length - next, limit - applied});
    EM_ASSIGN_OR_RETURN(auto blocks, deps_.logs->Read(log_key, next, count));
    if (blocks.empty()) return absl::OkStatus();
    for (const std::optional<std::string>& block : blocks) {
      if (!block.has_value()) return absl::OkStatus();  // not downloaded yet: its arrival wakes us
      EM_RETURN_IF_ERROR(ApplyOne(log_key, next, *block));
      ++next;
      if (++applied == limit) {
        if (more != nullptr) *more = next < view.length;
        return absl::OkStatus();
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CommandApplier::ApplyOne(const std::string& log_key, uint64_t index, const std::string& block) {
  cmd::Command command;
  const Rejection decoded = DecodeCommand(block, &command);
  EM_ASSIGN_OR_RETURN(Verdict verdict, DecideAndCommit(log_key, index, decoded, command));
  if (verdict.outcome == cmd::OUTCOME_APPLIED) {
    const Desired desired = DesiredOf(deps_.state->Get(), deps_.configured_owners);
    EM_ASSIGN_OR_RETURN(std::string note, deps_.effects->Converge(desired, TouchedBy(command)));
    if (!note.empty()) absl::StrAppend(&verdict.note, verdict.note.empty() ? "" : "; ", note);
  }
  cmd::CommandReceipt receipt;
  receipt.set_log_key(log_key);
  receipt.set_index(index);
  receipt.set_command_id(command.id());
  receipt.set_outcome(verdict.outcome);
  if (verdict.outcome == cmd::OUTCOME_REJECTED) {
    receipt.set_reason(verdict.rejection.reason);
    receipt.set_reason_code(RejectKindName(verdict.rejection.kind));
  } else {
    receipt.set_reason(verdict.note);
  }
  EM_RETURN_IF_ERROR(deps_.receipts->AppendCommandReceipt(receipt));
  Count(verdict, command);
  log::Info("command").Kv("log", crypto::LogId(log_key)).Kv("index", index).Kv("type", CommandName(command))
      .Kv("outcome", cmd::Outcome_Name(verdict.outcome)).Kv("reason", receipt.reason());
  if (verdict.outcome == cmd::OUTCOME_APPLIED && deps_.on_state_changed) deps_.on_state_changed();
  return absl::OkStatus();
}

absl::StatusOr<Verdict> CommandApplier::DecideAndCommit(const std::string& log_key, uint64_t index,
                                                        const Rejection& decoded, const cmd::Command& command) {
  IngestState state = deps_.state->Get();
  auto stored = state.decided().find(log_key);
  if (stored != state.decided().end() && stored->second.index() == index) return FromStored(stored->second);
  if (!decoded.ok()) return Verdict{cmd::OUTCOME_REJECTED, decoded, ""};
  RuleContext context{&deps_.configured_owners, deps_.clock->Now()};
  Verdict verdict = Decide(context, log_key, command, &state);
  if (verdict.outcome != cmd::OUTCOME_APPLIED) return verdict;
  v1::StoredDecision& d = (*state.mutable_decided())[log_key];
  d.set_index(index);
  d.set_command_id(command.id());
  d.set_outcome(verdict.outcome);
  d.set_reason(verdict.note);
  EM_RETURN_IF_ERROR(deps_.state->Commit(state));
  return verdict;
}

void CommandApplier::Count(const Verdict& verdict, const cmd::Command& command) {
  switch (verdict.outcome) {
    case cmd::OUTCOME_APPLIED: {
      const absl::Time issued = ToTime(command.issued_at());
      deps_.metrics->CommandApplied(absl::ToDoubleSeconds(deps_.clock->Now() - issued));
      break;
    }
    case cmd::OUTCOME_REJECTED:
      deps_.metrics->CommandRejected(RejectKindName(verdict.rejection.kind));
      break;
    default:
      deps_.metrics->CommandIgnored();
      break;
  }
}

}  // namespace evermirror::ingest
