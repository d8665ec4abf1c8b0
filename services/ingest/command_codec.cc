#include "services/ingest/command_codec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "shared/base/hex.h"
#include "shared/base/strings.h"
#include "shared/crypto/crypto.h"
#include "shared/crypto/key_text.h"

namespace evermirror::ingest {
namespace {

// google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;
constexpr size_t kMaxTo = 64;
constexpr size_t kMaxIdBytes = 64;

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= kMinSeconds && t.seconds() <= kMaxSeconds && t.nanos() >= 0 && t.nanos() <= 999999999;
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

Rejection Malformed(std::string reason) { return {RejectKind::kMalformed, std::move(reason)}; }

// Normalizes *key in place; a rejection naming the field otherwise.
Rejection Key(std::string* key, std::string_view field) {
  absl::StatusOr<std::string> hex = NormalizeKey(*key, field);
  if (!hex.ok()) return Malformed(std::string(hex.status().message()));
  *key = *hex;
  return {};
}

Rejection Alias(std::string* alias, bool required) {
  if (alias->empty() && !required) return {};
  absl::StatusOr<std::string> normalized = NormalizeAlias(*alias);
  if (!normalized.ok()) return Malformed(std::string(normalized.status().message()));
  *alias = *normalized;
  return {};
}

Rejection Scopes(const cmd::AuthorizeController& a) {
  if (a.scopes().empty()) return Malformed("authorize: at least one scope is required");
  for (int scope : a.scopes()) {
    if (scope < cmd::SCOPE_ALL || scope > cmd::SCOPE_ALIASES) {
      return Malformed(absl::StrCat("authorize: unknown scope ", scope));
    }
  }
  if (a.has_expires_at() && !ValidTimestamp(a.expires_at())) return Malformed("authorize: bad expires_at");
  return {};
}

Rejection Body(cmd::Command* c) {
  switch (c->body_case()) {
    case cmd::Command::kMirrorAdd: {
      cmd::MirrorAdd* m = c->mutable_mirror_add();
      if (m->mode() < cmd::MODE_UNSPECIFIED || m->mode() > cmd::MODE_SPARSE) {
        return Malformed(absl::StrCat("mirror_add: unknown mode ", static_cast<int>(m->mode())));
      }
      if (Rejection r = Key(m->mutable_site_key(), "mirror_add.site_key"); !r.ok()) return r;
      return Alias(m->mutable_alias(), false);
    }
    case cmd::Command::kMirrorRemove:
      return Key(c->mutable_mirror_remove()->mutable_site_key(), "mirror_remove.site_key");
    case cmd::Command::kSetAlias:
      if (Rejection r = Alias(c->mutable_set_alias()->mutable_alias(), true); !r.ok()) return r;
      return Key(c->mutable_set_alias()->mutable_site_key(), "set_alias.site_key");
    case cmd::Command::kUnsetAlias:
      return Alias(c->mutable_unset_alias()->mutable_alias(), true);
    case cmd::Command::kPin:
      return Key(c->mutable_pin()->mutable_site_key(), "pin.site_key");
    case cmd::Command::kUnpin:
      return Key(c->mutable_unpin()->mutable_site_key(), "unpin.site_key");
    case cmd::Command::kAuthorize:
      if (Rejection r = Key(c->mutable_authorize()->mutable_controller_key(), "authorize.controller_key"); !r.ok()) {
        return r;
      }
      return Scopes(c->authorize());
    case cmd::Command::kRevoke:
      return Key(c->mutable_revoke()->mutable_controller_key(), "revoke.controller_key");
    case cmd::Command::BODY_NOT_SET:
      break;
  }
  return {RejectKind::kUnknown, "no command this box knows (a newer command type, or none at all)"};
}

}  // namespace

const char* RejectKindName(RejectKind kind) {
  switch (kind) {
    case RejectKind::kNone: return "";
    case RejectKind::kUntrusted: return "untrusted";
    case RejectKind::kMalformed: return "malformed";
    case RejectKind::kUnknown: return "unknown";
    case RejectKind::kOutOfScope: return "out_of_scope";
    case RejectKind::kExpired: return "expired";
    case RejectKind::kPrecondition: return "precondition";
  }
  return "";
}

absl::StatusOr<std::string> NormalizeKey(std::string_view text, std::string_view what) {
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyText(text);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), ": ", key.status().message()));
  return crypto::KeyHex(*key);
}

absl::StatusOr<std::string> NormalizeAlias(std::string_view text) {
  const std::string alias = absl::AsciiStrToLower(ToAbsl(text));
  if (alias.empty() || alias.size() > 253) {
    return absl::InvalidArgumentError("an alias is a DNS name of 1 to 253 characters");
  }
  size_t label = 0;
  for (size_t i = 0; i <= alias.size(); ++i) {
    const bool end = i == alias.size() || alias[i] == '.';
    if (end) {
      if (label == 0 || label > 63 || alias[i - 1] == '-' || alias[i - label] == '-') {
        return absl::InvalidArgumentError(absl::StrCat("bad alias \"", alias,
                                                       "\": labels are 1 to 63 letters, digits or inner '-'"));
      }
      label = 0;
      continue;
    }
    const char c = alias[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat("bad alias \"", alias, "\": only letters, digits, '-' and '.'"));
    }
    ++label;
  }
  return alias;
}

std::string NewCommandId() {
  std::string bytes(16, '\0');
  crypto::RandomBytes(bytes.data(), bytes.size());
  return ToHex(bytes);
}

Rejection DecodeCommand(std::string_view block, cmd::Command* out) {
  if (block.size() > kMaxCommandBytes) {
    return Malformed(absl::StrCat("command block of ", block.size(), " bytes (at most ", kMaxCommandBytes, ")"));
  }
  if (!out->ParseFromArray(block.data(), static_cast<int>(block.size()))) {
    return Malformed("not a Command record");
  }
  return ValidateCommand(out);
}

Rejection ValidateCommand(cmd::Command* c) {
  if (!ValidId(c->id())) return Malformed("id: 1 to 64 letters, digits, '-', '_' or '.'");
  if (!c->has_issued_at() || !ValidTimestamp(c->issued_at())) return Malformed("issued_at: missing or out of range");
  if (static_cast<size_t>(c->to_size()) > kMaxTo) return Malformed(absl::StrCat("to: at most ", kMaxTo, " boxes"));
  for (std::string& to : *c->mutable_to()) {
    if (Rejection r = Key(&to, "to"); !r.ok()) return r;
  }
  return Body(c);
}

std::string EncodeHeader(std::string_view type, std::string_view name) {
  cmd::LogHeader header;
  header.set_type(std::string(type));
  header.set_version(1);
  header.set_name(std::string(name));
  return header.SerializeAsString();
}

absl::StatusOr<std::string> DecodeHeader(std::string_view block, std::string_view type) {
  cmd::LogHeader header;
  if (!header.ParseFromArray(block.data(), static_cast<int>(block.size())) || header.type() != type) {
    return absl::InvalidArgumentError(absl::StrCat("block 0 is not a LogHeader of type ", ToAbsl(type)));
  }
  return header.name();
}

std::string EncodeReceipt(const cmd::Receipt& receipt) { return receipt.SerializeAsString(); }

absl::StatusOr<cmd::Receipt> DecodeReceipt(std::string_view block) {
  cmd::Receipt receipt;
  if (!receipt.ParseFromArray(block.data(), static_cast<int>(block.size()))) {
    return absl::DataLossError("not a Receipt record");
  }
  return receipt;
}

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp ToStamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(t);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return out;
}

const char* CommandName(const cmd::Command& command) {
  switch (command.body_case()) {
    case cmd::Command::kMirrorAdd: return "mirror_add";
    case cmd::Command::kMirrorRemove: return "mirror_remove";
    case cmd::Command::kSetAlias: return "set_alias";
    case cmd::Command::kUnsetAlias: return "unset_alias";
    case cmd::Command::kPin: return "pin";
    case cmd::Command::kUnpin: return "unpin";
    case cmd::Command::kAuthorize: return "authorize";
    case cmd::Command::kRevoke: return "revoke";
    case cmd::Command::BODY_NOT_SET: break;
  }
  return "unknown";
}

}  // namespace evermirror::ingest
