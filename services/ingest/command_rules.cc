#include "services/ingest/command_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace evermirror::ingest {
namespace {

using google::protobuf::util::TimeUtil;

Verdict Applied(std::string note = "") { return {cmd::OUTCOME_APPLIED, {}, std::move(note)}; }
Verdict Rejected(RejectKind kind, std::string reason) {
  return {cmd::OUTCOME_REJECTED, {kind, std::move(reason)}, ""};
}


bool HasScope(const v1::StoredController& c, cmd::Scope wanted) {
  return std::any_of(c.scopes().begin(), c.scopes().end(),
                     [&](int s) { return s == cmd::SCOPE_ALL || s == wanted; });
}

// The scopes a controller needs for `command`; empty for commands only owners may send.
std::vector<cmd::Scope> NeededScopes(const cmd::Command& c) {
  switch (c.body_case()) {
    case cmd::Command::kMirrorAdd:
      if (!c.mirror_add().alias().empty()) return {cmd::SCOPE_MIRRORS, cmd::SCOPE_ALIASES};
      return {cmd::SCOPE_MIRRORS};
    case cmd::Command::kMirrorRemove:
      return {cmd::SCOPE_MIRRORS};
    case cmd::Command::kSetAlias:
    case cmd::Command::kUnsetAlias:
    case cmd::Command::kPin:
    case cmd::Command::kUnpin:
      return {cmd::SCOPE_ALIASES};
    default:
      return {};
  }
}

const char* ScopeName(cmd::Scope s) { return s == cmd::SCOPE_MIRRORS ? "mirrors" : "aliases"; }

// REJECTED unless `log_key` may send `command` now; kNone when it may.
Verdict Authorize(const RuleContext& ctx, const IngestState& state, const std::string& log_key,
                  const cmd::Command& command) {
  if (IsOwner(state, *ctx.configured_owners, log_key)) return Applied();
  auto it = state.controllers().find(log_key);
  if (it == state.controllers().end()) return Rejected(RejectKind::kUntrusted, "the command log's key is not trusted");
  const v1::StoredController& c = it->second;
  if (c.revoked()) return Rejected(RejectKind::kUntrusted, "the controller was revoked");
  if (!IsOwner(state, *ctx.configured_owners, c.authorized_by())) {
    return Rejected(RejectKind::kUntrusted, "the owner that authorized this controller is no longer trusted");
  }
  if (c.has_expires_at() && ToTime(c.expires_at()) <= ctx.now) {
    return Rejected(RejectKind::kExpired, absl::StrCat("the controller's authorization expired at ",
                                                       TimeUtil::ToString(c.expires_at())));
  }
  const std::vector<cmd::Scope> needed = NeededScopes(command);
  if (needed.empty()) {
    return Rejected(RejectKind::kOutOfScope, absl::StrCat("only an owner may send ", CommandName(command)));
  }
  for (cmd::Scope s : needed) {
    if (!HasScope(c, s)) {
      return Rejected(RejectKind::kOutOfScope,
                      absl::StrCat(CommandName(command), " needs the ", ScopeName(s), " scope"));
    }
  }
  return Applied();
}

void DropAliasesOf(IngestState* state, const std::string& site) {
  auto* aliases = state->mutable_aliases();
  for (auto it = aliases->begin(); it != aliases->end();) {
    it = it->second == site ? aliases->erase(it) : std::next(it);
  }
}

Verdict MirrorAdd(const RuleContext& ctx, const std::string& log_key, const cmd::MirrorAdd& m, IngestState* state) {
  const bool existed = state->mirrors().contains(m.site_key());
  v1::StoredMirror& mirror = (*state->mutable_mirrors())[m.site_key()];
  if (!existed) {
    *mirror.mutable_added_at() = ToStamp(ctx.now);
    mirror.set_added_by(log_key);
  }
  mirror.set_mode(m.mode() == cmd::MODE_SPARSE ? cmd::MODE_SPARSE : cmd::MODE_FULL);
  if (!m.alias().empty()) {
    mirror.set_alias(m.alias());
    (*state->mutable_aliases())[m.alias()] = m.site_key();
  }
  return Applied(existed ? "already mirrored; mode and alias updated" : "");
}

Verdict MirrorRemove(const cmd::MirrorRemove& m, IngestState* state) {
  if (state->mutable_mirrors()->erase(m.site_key()) == 0) return Applied("not mirrored here; nothing to remove");
  DropAliasesOf(state, m.site_key());
  state->mutable_pins()->erase(m.site_key());
  return Applied();
}

Verdict NeedsMirror(const IngestState& state, const std::string& site) {
  if (state.mirrors().contains(site)) return Applied();
  return Rejected(RejectKind::kPrecondition, absl::StrCat("site ", site, " is not mirrored here"));
}

Verdict AuthorizeController(const RuleContext& ctx, const std::string& log_key, const cmd::AuthorizeController& a,
                            IngestState* state) {
  if (IsOwner(*state, *ctx.configured_owners, a.controller_key())) {
    return Rejected(RejectKind::kPrecondition, "that key is already an owner here");
  }
  v1::StoredController& c = (*state->mutable_controllers())[a.controller_key()];
  c = v1::StoredController();
  c.set_authorized_by(log_key);
  for (int s : a.scopes()) c.add_scopes(static_cast<cmd::Scope>(s));
  if (a.has_expires_at()) *c.mutable_expires_at() = a.expires_at();
  *c.mutable_authorized_at() = ToStamp(ctx.now);
  return Applied();
}

Verdict Revoke(const std::string& log_key, const cmd::RevokeController& r, IngestState* state) {
  auto it = state->mutable_controllers()->find(r.controller_key());
  if (it == state->mutable_controllers()->end()) return Applied("not a controller here; nothing to revoke");
  it->second.set_revoked(true);
  it->second.set_revoked_by(log_key);
  return Applied();
}

Verdict Mutate(const RuleContext& ctx, const std::string& log_key, const cmd::Command& c, IngestState* state) {
  switch (c.body_case()) {
    case cmd::Command::kMirrorAdd:
      return MirrorAdd(ctx, log_key, c.mirror_add(), state);
    case cmd::Command::kMirrorRemove:
      return MirrorRemove(c.mirror_remove(), state);
    case cmd::Command::kSetAlias: {
      Verdict v = NeedsMirror(*state, c.set_alias().site_key());
      if (v.outcome == cmd::OUTCOME_APPLIED) (*state->mutable_aliases())[c.set_alias().alias()] = c.set_alias().site_key();
      return v;
    }
    case cmd::Command::kUnsetAlias:
      if (state->mutable_aliases()->erase(c.unset_alias().alias()) == 0) return Applied("no such alias");
      return Applied();
    case cmd::Command::kPin: {
      Verdict v = NeedsMirror(*state, c.pin().site_key());
      if (v.outcome == cmd::OUTCOME_APPLIED) (*state->mutable_pins())[c.pin().site_key()] = c.pin().version();
      return v;
    }
    case cmd::Command::kUnpin:
      if (state->mutable_pins()->erase(c.unpin().site_key()) == 0) return Applied("not pinned");
      return Applied();
    case cmd::Command::kAuthorize:
      return AuthorizeController(ctx, log_key, c.authorize(), state);
    case cmd::Command::kRevoke:
      return Revoke(log_key, c.revoke(), state);
    case cmd::Command::BODY_NOT_SET:
      break;
  }
  return Rejected(RejectKind::kUnknown, "no command this box knows");
}

}  // namespace

const char* LogRoleName(LogRole role) {
  switch (role) {
    case LogRole::kSelf: return "self";
    case LogRole::kConfigured: return "configured";
    case LogRole::kAdded: return "added";
    case LogRole::kController: return "controller";
  }
  return "";
}

std::map<std::string, LogRole> FollowedLogs(const IngestState& state, const std::set<std::string>& configured) {
  std::map<std::string, LogRole> logs;
  for (const auto& [key, controller] : state.controllers()) logs[key] = LogRole::kController;
  for (const auto& [key, owner] : state.owners()) logs[key] = LogRole::kAdded;
  for (const std::string& key : configured) logs[key] = LogRole::kConfigured;
  if (!state.command_log_key().empty()) logs[state.command_log_key()] = LogRole::kSelf;
  return logs;
}

bool IsOwner(const IngestState& state, const std::set<std::string>& configured, const std::string& key) {
  return key == state.command_log_key() || configured.contains(key) || state.owners().contains(key);
}

Verdict Decide(const RuleContext& context, const std::string& log_key, const cmd::Command& command,
               IngestState* state) {
  if (!command.to().empty() &&
      std::find(command.to().begin(), command.to().end(), state->receipt_log_key()) == command.to().end()) {
    return {cmd::OUTCOME_IGNORED, {}, "addressed to other boxes"};
  }
  Verdict verdict = Authorize(context, *state, log_key, command);
  if (verdict.outcome != cmd::OUTCOME_APPLIED) return verdict;
  IngestState next = *state;
  verdict = Mutate(context, log_key, command, &next);
  if (verdict.outcome == cmd::OUTCOME_APPLIED) *state = std::move(next);
  return verdict;
}

}  // namespace evermirror::ingest
