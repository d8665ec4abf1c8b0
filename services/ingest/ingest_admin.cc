// Ingest's admin operations (the IngestAdmin API behind IngestService).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/ingest/ingest.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"

namespace evermirror::ingest {
namespace {

constexpr size_t kMaxNameBytes = 64;

absl::Status NotReady() {
  return absl::UnavailableError("ingest is not ready: waiting for the replicator (see the ingest log)");
}

std::string DiscoveryHex(const std::string& key) {
  absl::StatusOr<crypto::PublicKey> k = crypto::ParsePublicKeyText(key);
  return k.ok() ? crypto::HashHex(crypto::DiscoveryKey(*k)) : "";
}

v1::KeyRole RoleOf(LogRole role) {
  switch (role) {
    case LogRole::kSelf: return v1::KEY_ROLE_SELF;
    case LogRole::kConfigured: return v1::KEY_ROLE_CONFIGURED;
    case LogRole::kAdded: return v1::KEY_ROLE_ADDED;
    case LogRole::kController: return v1::KEY_ROLE_CONTROLLER;
  }
  return v1::KEY_ROLE_UNSPECIFIED;
}

bool Printable(const std::string& s) {
  for (char c : s) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<v1::Identity> Ingest::GetIdentity() const {
  if (!ready()) return NotReady();
  const IngestState state = state_.Get();
  v1::Identity id;
  id.set_name(options_.name);
  id.set_command_log_key(state.command_log_key());
  id.set_receipt_log_key(state.receipt_log_key());
  id.set_command_log_discovery_key(DiscoveryHex(state.command_log_key()));
  id.set_receipt_log_discovery_key(DiscoveryHex(state.receipt_log_key()));
  return id;
}

std::string Ingest::LogName(const std::string& key, const char* type) {
  {
    absl::MutexLock lock(&mu_);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
  }
  absl::StatusOr<std::vector<std::optional<std::string>>> block = ports_.logs->Read(key, 0, 1);
  if (!block.ok() || block->empty() || !(*block)[0].has_value()) return "";
  absl::StatusOr<std::string> name = DecodeHeader(*(*block)[0], type);
  if (!name.ok()) return "";
  absl::MutexLock lock(&mu_);
  names_[key] = *name;
  return *name;
}

v1::TrustedKey Ingest::TrustedKeyOf(const IngestState& state, const std::string& key, LogRole role) {
  v1::TrustedKey out;
  out.set_key(key);
  out.set_role(RoleOf(role));
  auto owner = state.owners().find(key);
  out.set_name(owner != state.owners().end() && !owner->second.name().empty() ? owner->second.name()
                                                                              : LogName(key, kCommandsLogType));
  auto c = state.controllers().find(key);
  if (role == LogRole::kController && c != state.controllers().end()) {
    out.set_authorized_by(c->second.authorized_by());
    for (int s : c->second.scopes()) out.add_scopes(static_cast<cmd::Scope>(s));
    if (c->second.has_expires_at()) *out.mutable_expires_at() = c->second.expires_at();
    out.set_revoked(c->second.revoked());
    out.set_expired(c->second.has_expires_at() && ToTime(c->second.expires_at()) <= clock_->Now());
  }
  return out;
}

std::vector<v1::TrustedKey> Ingest::ListTrustedKeys() {
  const IngestState state = state_.Get();
  std::vector<v1::TrustedKey> out;
  for (const auto& [key, role] : FollowedLogs(state, configured_owners_)) out.push_back(TrustedKeyOf(state, key, role));
  return out;
}

absl::StatusOr<v1::TrustedKey> Ingest::AddTrustedKey(const std::string& key, const std::string& name) {
  if (name.size() > kMaxNameBytes || !Printable(name)) {
    return absl::InvalidArgumentError(absl::StrCat("name: at most ", kMaxNameBytes, " printable characters"));
  }
  absl::MutexLock lock(&apply_mu_);
  IngestState state = state_.Get();
  if (!IsOwner(state, configured_owners_, key) || state.owners().contains(key)) {
    v1::StoredOwner& owner = (*state.mutable_owners())[key];
    if (!owner.has_added_at()) *owner.mutable_added_at() = ToStamp(clock_->Now());
    if (!name.empty()) owner.set_name(name);
    EM_RETURN_IF_ERROR(state_.Commit(state));
    log::Info("owner_added").Kv("owner", crypto::LogId(key)).Kv("name", name);
  }
  Touched touched;
  touched.feeds = {key};
  absl::StatusOr<std::string> note = effects_.Converge(CurrentDesired(), touched);
  if (!note.ok()) ScheduleReconcile(Service::kReplicator, false);  // the follow is retried there
  AfterStateChange();
  state = state_.Get();
  return TrustedKeyOf(state, key, FollowedLogs(state, configured_owners_).at(key));
}

absl::Status Ingest::RemoveTrustedKey(const std::string& key) {
  absl::MutexLock lock(&apply_mu_);
  IngestState state = state_.Get();
  if (key == state.command_log_key()) return absl::FailedPreconditionError("this node's own key is always trusted");
  if (configured_owners_.contains(key)) {
    return absl::FailedPreconditionError("that owner is in [ingest] owners: remove it from the configuration");
  }
  if (!state.owners().contains(key)) return absl::NotFoundError(absl::StrCat("key ", key, " was not added"));
  state.mutable_owners()->erase(key);
  Touched touched;
  touched.feeds = {key};
  for (auto it = state.mutable_controllers()->begin(); it != state.mutable_controllers()->end();) {
    const bool orphan = it->second.authorized_by() == key && !IsOwner(state, configured_owners_, key);
    if (orphan) touched.feeds.push_back(it->first);
    it = orphan ? state.mutable_controllers()->erase(it) : std::next(it);
  }
  EM_RETURN_IF_ERROR(state_.Commit(state));
  log::Info("owner_removed").Kv("owner", crypto::LogId(key)).Kv("controllers_dropped", touched.feeds.size() - 1);
  (void)effects_.Converge(CurrentDesired(), touched);  // stop replicating: best effort
  AfterStateChange();
  return absl::OkStatus();
}

absl::StatusOr<v1::AppendCommandResponse> Ingest::AppendCommand(cmd::Command command) {
  if (command.id().empty()) command.set_id(NewCommandId());
  if (!command.has_issued_at()) *command.mutable_issued_at() = ToStamp(clock_->Now());
  Rejection problem = ValidateCommand(&command);
  if (!problem.ok()) return absl::InvalidArgumentError(problem.reason);
  if (!ready()) return NotReady();
  const std::string log_key = state_.Get().command_log_key();
  EM_ASSIGN_OR_RETURN(uint64_t length, ports_.logs->Append(log_key, {command.SerializeAsString()}));
  log::Info("command_appended").Kv("index", length - 1).Kv("type", CommandName(command)).Kv("id", command.id());
  v1::AppendCommandResponse out;
  out.set_log_key(log_key);
  out.set_index(length - 1);
  out.set_command_id(command.id());
  *out.mutable_issued_at() = command.issued_at();
  return out;
}

}  // namespace evermirror::ingest
