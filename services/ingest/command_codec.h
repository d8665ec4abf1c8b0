// The records of the control plane as ingest reads and writes them (commands.proto): a command
// block checked the way the applier and AppendCommand both check it, log headers, receipts,
// and the text forms of keys and aliases. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evermirror/commands/v1/commands.pb.h"

namespace evermirror::ingest {

namespace cmd = ::evermirror::commands::v1;

inline constexpr char kCommandsLogType[] = "evermirror-commands";
inline constexpr char kReceiptsLogType[] = "evermirror-receipts";
inline constexpr size_t kMaxCommandBytes = 64 * 1024;

// Why a command was not applied. The names are the `reason` label of
// evermirror_ingest_commands_rejected_total and CommandReceipt.reason_code.
enum class RejectKind { kNone, kUntrusted, kMalformed, kUnknown, kOutOfScope, kExpired, kPrecondition };
const char* RejectKindName(RejectKind kind);

struct Rejection {
  RejectKind kind = RejectKind::kNone;
  std::string reason;  // for people
  bool ok() const { return kind == RejectKind::kNone; }
};

// A key as people and JSON write it (64 hex, 52 z-base-32, dat:// links) -> 64 lower-case hex.
// InvalidArgument naming `what` ("site_key") otherwise.
absl::StatusOr<std::string> NormalizeKey(std::string_view text, std::string_view what);
// An alias: a DNS label or host name (letters, digits, '-', '.'; labels of 1..63, at most 253
// characters) -> lower case. InvalidArgument otherwise.
absl::StatusOr<std::string> NormalizeAlias(std::string_view text);
// 16 random bytes, hex.
std::string NewCommandId();

// Parses a command log block (index >= 1). On success fills *out, with keys normalized to
// hex and aliases to lower case. kMalformed: not a Command, too large, a bad field; kUnknown:
// no command body this version knows (a newer client's command).
Rejection DecodeCommand(std::string_view block, cmd::Command* out);
// The same checks on a command already parsed (normalizes it in place).
Rejection ValidateCommand(cmd::Command* command);

// Block 0 of a log.
std::string EncodeHeader(std::string_view type, std::string_view name);
// The header's name if `block` is a LogHeader of `type`; InvalidArgument otherwise.
absl::StatusOr<std::string> DecodeHeader(std::string_view block, std::string_view type);

std::string EncodeReceipt(const cmd::Receipt& receipt);
// DataLoss if `block` is not a Receipt.
absl::StatusOr<cmd::Receipt> DecodeReceipt(std::string_view block);

// Timestamps <-> absl::Time (whole range, no overflow).
absl::Time ToTime(const google::protobuf::Timestamp& t);
google::protobuf::Timestamp ToStamp(absl::Time t);

// "mirror_add", "set_alias", ... ; "unknown" for none.
const char* CommandName(const cmd::Command& command);

}  // namespace evermirror::ingest
