#include "shared/wire/messages.h"

#include <iterator>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "shared/base/bytes.h"
#include "shared/base/status_macros.h"
#include "shared/wire/frame.h"

namespace evermirror::wire {
namespace {

absl::Status Invalid(std::string_view message, std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(message), ".", std::string(field), " ", std::string(what)));
}

absl::Status CheckSafe(std::string_view message, std::string_view field, uint64_t value) {
  if (value <= kMaxSafeInteger) return absl::OkStatus();
  return Invalid(message, field, absl::StrCat("= ", value, " is over 2^53 - 1"));
}

// start, length and start + length must all be JavaScript-safe integers.
absl::Status CheckRange(std::string_view message, uint64_t start, std::optional<uint64_t> length) {
  EM_RETURN_IF_ERROR(CheckSafe(message, "start", start));
  if (!length) return absl::OkStatus();
  EM_RETURN_IF_ERROR(CheckSafe(message, "length", *length));
  if (start + *length > kMaxSafeInteger) return Invalid(message, "start + length", "is over 2^53 - 1");
  return absl::OkStatus();
}

absl::Status CheckRequired(const google::protobuf::MessageLite& m) {
  if (m.IsInitialized()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(m.GetTypeName(), " is missing required fields: ",
                                                 m.InitializationErrorString()));
}

absl::Status CheckSize(std::string_view message, std::string_view field, size_t size, size_t want) {
  if (size == want) return absl::OkStatus();
  return Invalid(message, field, absl::StrCat("has ", size, " bytes, want ", want));
}

template <typename M>
std::optional<uint64_t> OptionalLength(const M& m) {
  if (!m.has_length()) return std::nullopt;
  return m.length();
}

}  // namespace

bool IsKnownType(uint8_t type) { return type <= 9 || type == kExtensionType; }

std::string_view MessageTypeName(uint8_t type) {
  static constexpr std::string_view kNames[] = {"Feed", "Handshake", "Info",    "Have",   "Unhave",
                                                "Want", "Unwant",    "Request", "Cancel", "Data"};
  if (type < std::size(kNames)) return kNames[type];
  if (type == kExtensionType) return "Extension";
  return "Unknown";
}

absl::Status Validate(const v1::Feed& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  EM_RETURN_IF_ERROR(CheckSize("Feed", "discovery_key", m.discovery_key().size(), kDiscoveryKeySize));
  if (m.has_nonce()) EM_RETURN_IF_ERROR(CheckSize("Feed", "nonce", m.nonce().size(), kNonceSize));
  return absl::OkStatus();
}

absl::Status Validate(const v1::Handshake& m) {
  if (m.id().size() > kMaxPeerIdSize) {
    return Invalid("Handshake", "id", absl::StrCat("has ", m.id().size(), " bytes, at most 64"));
  }
  if (static_cast<size_t>(m.extensions_size()) > kMaxExtensions) {
    return Invalid("Handshake", "extensions", absl::StrCat("has ", m.extensions_size(), " names, at most 128"));
  }
  for (const std::string& name : m.extensions()) {
    if (name.size() > kMaxExtensionNameSize) return Invalid("Handshake", "extensions", "has a name over 256 bytes");
  }
  return absl::OkStatus();
}

absl::Status Validate(const v1::Info&) { return absl::OkStatus(); }

absl::Status Validate(const v1::Have& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  // `length` has a default of 1, so it always counts.
  return CheckRange("Have", m.start(), m.length());
}

absl::Status Validate(const v1::Unhave& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  return CheckRange("Unhave", m.start(), m.length());
}

absl::Status Validate(const v1::Want& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  return CheckRange("Want", m.start(), OptionalLength(m));
}

absl::Status Validate(const v1::Unwant& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  return CheckRange("Unwant", m.start(), OptionalLength(m));
}

absl::Status Validate(const v1::Request& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  EM_RETURN_IF_ERROR(CheckSafe("Request", "index", m.index()));
  return CheckSafe("Request", "bytes", m.bytes());
}

absl::Status Validate(const v1::Cancel& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  EM_RETURN_IF_ERROR(CheckSafe("Cancel", "index", m.index()));
  return CheckSafe("Cancel", "bytes", m.bytes());
}

absl::Status Validate(const v1::Data& m) {
  EM_RETURN_IF_ERROR(CheckRequired(m));
  EM_RETURN_IF_ERROR(CheckSafe("Data", "index", m.index()));
  if (static_cast<size_t>(m.nodes_size()) > kMaxDataNodes) {
    return Invalid("Data", "nodes", absl::StrCat("has ", m.nodes_size(), " entries, at most 256"));
  }
  for (const v1::Data::Node& node : m.nodes()) {
    EM_RETURN_IF_ERROR(CheckSize("Data", "nodes.hash", node.hash().size(), kNodeHashSize));
    EM_RETURN_IF_ERROR(CheckSafe("Data", "nodes.size", node.size()));
  }
  if (m.has_signature()) EM_RETURN_IF_ERROR(CheckSize("Data", "signature", m.signature().size(), kSignatureSize));
  return absl::OkStatus();
}

absl::Status ParseBody(std::string_view body, google::protobuf::MessageLite* message) {
  if (body.size() > kMaxMessageSize) return absl::InvalidArgumentError("message body over 8 MiB");
  // ParsePartial + our own required-field check: ParseFromArray would also log an ERROR line
  // for every such message, which a peer could use to flood the log.
  if (!message->ParsePartialFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("malformed ", message->GetTypeName(), " message"));
  }
  return CheckRequired(*message);
}

absl::StatusOr<Extension> DecodeExtension(std::string_view body) {
  if (body.empty()) return absl::InvalidArgumentError("empty extension frame");
  const std::optional<uint64_t> index = ConsumeVarint(&body);
  if (!index) return absl::InvalidArgumentError("malformed extension index varint");
  return Extension{*index, body};
}

}  // namespace evermirror::wire
