// Recorded v6 wire streams for tests and fuzzing: the file format of shared/wire/testdata/*.wire
// (also the wire fuzzer's input), whole-stream decoding through WireReader, and re-encoding the
// decoded frames through WireWriter's typed messages to check byte-exact round trips.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "shared/crypto/crypto.h"
#include "shared/wire/frame.h"

namespace evermirror::wire::testing {

// File layout: byte 0 flags (bit 0 = encrypted), bytes 1..32 the stream key (the first feed's
// public key), then the raw bytes one side sent, exactly as they left it.
struct RecordedStream {
  bool encrypted = true;
  crypto::PublicKey key{};
  std::string bytes;
};
inline constexpr size_t kRecordedHeaderSize = 1 + crypto::kPublicKeySize;

// InvalidArgument if shorter than the header.
absl::StatusOr<RecordedStream> ParseRecordedStream(std::string_view file);
std::string SerializeRecordedStream(const RecordedStream& stream);

// A frame copied out of the reader.
struct OwnedFrame {
  FrameKind kind = FrameKind::kKeepAlive;
  uint64_t channel = 0;
  uint8_t type = 0;
  std::string payload;
  std::string body;
};

enum class KeyTiming {
  kUpFront,    // the reader knows the key from the start
  kInHandler,  // SetKey while handling the remote's first Feed
  kLater,      // SetKey after Consume reports needs_key(), then Resume
};

struct DecodeOptions {
  uint64_t chunk_seed = 0;  // 0: one chunk; else random chunk sizes (1..chunk_max) from this seed
  size_t chunk_max = 4096;
  KeyTiming key_timing = KeyTiming::kUpFront;
  FrameDecoderOptions frames;
};

struct DecodedStream {
  std::vector<OwnedFrame> frames;
  std::optional<crypto::Nonce> nonce;  // of the first Feed, if encrypted
  absl::Status status;                 // the reader's final status
  bool at_frame_boundary = false;      // the stream ended between frames
};

// Decodes `stream` as the receiving side would, with the key supplied as `options` says.
DecodedStream DecodeStream(const RecordedStream& stream, const DecodeOptions& options = {});

// Re-encodes `decoded` with a WireWriter using the same key and nonce: the first Feed with
// WriteFeed, messages of types 1..9 parsed and written back through typed Write, extensions
// through WriteExtension, the rest raw. Errors: whatever decoding or writing a frame returns.
absl::StatusOr<std::string> ReencodeStream(const RecordedStream& stream, const DecodedStream& decoded);

}  // namespace evermirror::wire::testing
