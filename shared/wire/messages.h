// Typed messages of the hypercore-protocol v6 wire: the frame type of each generated class,
// decoding of frame bodies with validation, and extension frames (type 15). The protocol engine
// decodes a Frame's body here; WireWriter encodes through the same traits and validation.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evermirror/wire/v1/wire.pb.h"
#include "google/protobuf/message_lite.h"

namespace evermirror::wire {

enum class MessageType : uint8_t {
  kFeed = 0,
  kHandshake = 1,
  kInfo = 2,
  kHave = 3,
  kUnhave = 4,
  kWant = 5,
  kUnwant = 6,
  kRequest = 7,
  kCancel = 8,
  kData = 9,
  kExtension = 15,
};

// Types 0..9 and 15. The reference silently ignores frames of types 10..14 on an open channel
// (a frame of any type on a channel the remote never opened ends its connection).
bool IsKnownType(uint8_t type);
// "Feed", "Have", ... or "Unknown".
std::string_view MessageTypeName(uint8_t type);

inline constexpr size_t kDiscoveryKeySize = 32;
inline constexpr size_t kNonceSize = 24;
inline constexpr size_t kNodeHashSize = 32;
inline constexpr size_t kSignatureSize = 64;
// Block indices, lengths and byte counts are JavaScript numbers in the reference: larger ones
// cannot be meant and fail validation.
inline constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;
// Sanity bounds the reference does not state (it sends a 32-byte id and a handful of names).
inline constexpr size_t kMaxPeerIdSize = 64;
inline constexpr size_t kMaxExtensions = 128;
inline constexpr size_t kMaxExtensionNameSize = 256;
// A Merkle proof for any feed of at most 2^53 blocks has fewer nodes than this.
inline constexpr size_t kMaxDataNodes = 256;

template <typename M>
struct MessageTraits;
#define EM_WIRE_MESSAGE_TRAITS_(M, T) \
  template <>                         \
  struct MessageTraits<v1::M> {       \
    static constexpr MessageType kType = MessageType::T; \
  }
EM_WIRE_MESSAGE_TRAITS_(Feed, kFeed);
EM_WIRE_MESSAGE_TRAITS_(Handshake, kHandshake);
EM_WIRE_MESSAGE_TRAITS_(Info, kInfo);
EM_WIRE_MESSAGE_TRAITS_(Have, kHave);
EM_WIRE_MESSAGE_TRAITS_(Unhave, kUnhave);
EM_WIRE_MESSAGE_TRAITS_(Want, kWant);
EM_WIRE_MESSAGE_TRAITS_(Unwant, kUnwant);
EM_WIRE_MESSAGE_TRAITS_(Request, kRequest);
EM_WIRE_MESSAGE_TRAITS_(Cancel, kCancel);
EM_WIRE_MESSAGE_TRAITS_(Data, kData);
#undef EM_WIRE_MESSAGE_TRAITS_

// Validation of a message received or about to be sent. OK, or InvalidArgument naming the field:
// required fields missing; Feed.discovery_key not 32 bytes or a nonce not 24; Handshake.id over
// 64 bytes or more than 128 extension names (each at most 256 bytes); an index, start, length or
// byte count over 2^53 - 1 (or start + length over it); Data.nodes over 256 entries or a node
// hash not 32 bytes; a signature not 64 bytes. A Have.bitfield is not decoded here.
absl::Status Validate(const v1::Feed& m);
absl::Status Validate(const v1::Handshake& m);
absl::Status Validate(const v1::Info& m);
absl::Status Validate(const v1::Have& m);
absl::Status Validate(const v1::Unhave& m);
absl::Status Validate(const v1::Want& m);
absl::Status Validate(const v1::Unwant& m);
absl::Status Validate(const v1::Request& m);
absl::Status Validate(const v1::Cancel& m);
absl::Status Validate(const v1::Data& m);

// Parses a frame body into `*message` (cleared first; reuse one object to reuse its buffers).
// InvalidArgument if the bytes are not a valid protobuf of that type or a required field is
// missing. The reference drops such a message and keeps the connection; a Feed it cannot
// decode ends the connection.
absl::Status ParseBody(std::string_view body, google::protobuf::MessageLite* message);

// ParseBody + Validate.
template <typename M>
absl::Status DecodeMessage(std::string_view body, M* message) {
  absl::Status status = ParseBody(body, message);
  if (!status.ok()) return status;
  return Validate(*message);
}
template <typename M>
absl::StatusOr<M> DecodeMessage(std::string_view body) {
  M message;
  absl::Status status = DecodeMessage(body, &message);
  if (!status.ok()) return status;
  return message;
}

// An extension frame's body: `varint(index) || payload`. The index counts into the SENDER's
// sorted Handshake.extensions list.
struct Extension {
  uint64_t index = 0;
  std::string_view payload;  // a view into the body
};

// InvalidArgument on an empty body (the reference ignores it) or a malformed index varint.
absl::StatusOr<Extension> DecodeExtension(std::string_view body);

}  // namespace evermirror::wire
