// Framing of the hypercore-protocol v6 wire: `varint(len) || varint(channel << 4 | type) || body`,
// len = 0 a keep-alive, len at most 8 MiB in a length varint of at most 4 bytes, exactly as
// hypercore-protocol 6.12.0 parses it. FrameDecoder takes bytes in arbitrary chunks and is the
// parser under WireReader (which adds decryption); the Append* helpers serve WireWriter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace evermirror::wire {

// The largest `len` the reference accepts (8388608 bytes; header + body).
inline constexpr uint64_t kMaxMessageSize = uint64_t{8} << 20;
// The reference reads at most this many length-varint bytes, then fails as "too big".
inline constexpr size_t kMaxLengthVarintBytes = 4;
// The reference's default maxFeeds: channel ids at or above it end the connection.
inline constexpr uint64_t kDefaultMaxChannels = 256;
// Frame types are 4 bits.
inline constexpr uint8_t kExtensionType = 15;

enum class FrameKind : uint8_t {
  kKeepAlive,   // len = 0
  kHeaderOnly,  // len = 1: the reference drops these unread; so should the engine
  kMessage,     // len >= 2: header varint parsed, `body` follows it
};

// One decoded frame. The views point into the decoder's buffer or the caller's input and stay
// valid until the next call on the decoder (or reader) that produced them.
struct Frame {
  FrameKind kind = FrameKind::kKeepAlive;
  uint64_t channel = 0;      // header >> 4 (kHeaderOnly: only when its one byte is a whole varint)
  uint8_t type = 0;          // header & 15 (ditto)
  std::string_view payload;  // everything after the length varint: header varint || body
  std::string_view body;     // kMessage: the bytes after the header varint (may be empty)
};

struct FrameDecoderOptions {
  uint64_t max_message_size = kMaxMessageSize;  // larger `len` fails with ResourceExhausted
  uint64_t max_channels = kDefaultMaxChannels;  // kMessage channel ids must be below this
};

// Incremental frame parser. Never buffers more than the bytes it has actually received, so an
// announced size costs nothing until the bytes arrive. Not thread-safe.
class FrameDecoder {
 public:
  explicit FrameDecoder(FrameDecoderOptions options = {});

  // Consumes bytes from the front of `*input` until one frame completes: returns true and sets
  // `*frame`, or false once `*input` is empty (a partial frame is kept for the next call).
  // Errors, after which every call returns the same error:
  //   ResourceExhausted: len > max_message_size, a length varint longer than 4 bytes (the
  //     reference's "larger than 8MB"), or a channel id >= max_channels;
  //   InvalidArgument: a header varint that is malformed or runs past the end of its frame.
  absl::StatusOr<bool> Next(std::string_view* input, Frame* frame);

  // True when no partial frame is held, i.e. the stream may end here cleanly.
  bool at_frame_boundary() const { return !in_body_ && length_bytes_ == 0; }
  // Bytes of the current partial frame copied into the decoder's own buffer.
  size_t buffered_bytes() const { return pending_.size(); }
  const absl::Status& status() const { return status_; }

 private:
  absl::Status Fail(absl::Status status);
  // Parses the length varint; true once it is complete (then `missing_` holds `len`).
  absl::StatusOr<bool> ParseLength(std::string_view* input);
  absl::StatusOr<bool> Emit(std::string_view payload, Frame* frame);
  void ReleasePending();

  FrameDecoderOptions options_;
  absl::Status status_;
  uint64_t length_value_ = 0;  // partial length varint
  size_t length_bytes_ = 0;
  bool in_body_ = false;
  uint64_t missing_ = 0;        // payload bytes still to come
  bool pending_in_use_ = false; // the last frame's views point into pending_
  std::string pending_;         // a payload that arrived in pieces
};

// Decodes a frame payload (header varint || body) as FrameDecoder does.
// Same errors as FrameDecoder::Next for the header.
absl::StatusOr<Frame> ParseFramePayload(std::string_view payload,
                                        uint64_t max_channels = kDefaultMaxChannels);

// The header varint of a frame.
inline uint64_t FrameHeader(uint64_t channel, uint8_t type) { return channel << 4 | (type & 15); }

// Bytes of `varint(len) || varint(header)` for a frame with `body_size` body bytes.
size_t FramePrefixSize(uint64_t channel, uint8_t type, size_t body_size);

// Appends `varint(len) || varint(header)`; the caller appends exactly `body_size` bytes next.
// REQUIRES: channel < 2^60.
void AppendFramePrefix(uint64_t channel, uint8_t type, size_t body_size, std::string* out);

}  // namespace evermirror::wire
