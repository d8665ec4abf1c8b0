// WireWriter: frames in, bytes to send to one peer out, encrypting as hypercore-protocol 6.12
// does: this side's first Feed goes out in clear with a fresh 24-byte nonce; every later byte is
// XORed with one continuous XSalsa20 keystream keyed by that first feed's public key.
// Socket-independent; output is appended to a caller-owned string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message_lite.h"
#include "shared/crypto/crypto.h"
#include "shared/wire/frame.h"
#include "shared/wire/messages.h"

namespace evermirror::wire {

struct WireWriterOptions {
  // Must match the remote; the reference default is on.
  bool encrypted = true;
  // The nonce of the first Feed; a fresh random one when unset. Set only to replay a stream.
  std::optional<crypto::Nonce> nonce;
  uint64_t max_channels = kDefaultMaxChannels;
  uint64_t max_message_size = kMaxMessageSize;
};

// Every Write* appends one whole frame to `*out`, or on error appends nothing. Not thread-safe.
class WireWriter {
 public:
  explicit WireWriter(WireWriterOptions options = {});
  ~WireWriter();

  // Appends a Feed opening `channel` for the feed whose public key is `key`. The first call fixes
  // the stream key and, when encrypted, sends the nonce in clear and starts the keystream.
  // InvalidArgument if channel >= max_channels.
  absl::Status WriteFeed(uint64_t channel, const crypto::PublicKey& key, std::string* out);

  // Appends any message (Feed included, for channels after the first). InvalidArgument when the
  // message fails Validate(), is over max_message_size or channel >= max_channels;
  // FailedPrecondition before the first WriteFeed.
  template <typename M>
  absl::Status Write(uint64_t channel, const M& message, std::string* out) {
    absl::Status status = Validate(message);
    if (!status.ok()) return status;
    return WriteProto(channel, static_cast<uint8_t>(MessageTraits<M>::kType), message, out);
  }

  // Appends an extension frame: `index` into this side's sorted Handshake.extensions.
  absl::Status WriteExtension(uint64_t channel, uint64_t index, std::string_view payload, std::string* out);

  // Appends a zero-length frame. FailedPrecondition before the first WriteFeed (the reference
  // sends none then either).
  absl::Status WriteKeepAlive(std::string* out);

  // Appends `payload` (header varint || body, as in Frame::payload) as one frame, encrypted like
  // any other: to replay recorded streams byte for byte. InvalidArgument if over the size limit.
  absl::Status WriteRawFrame(std::string_view payload, std::string* out);

  bool started() const { return started_; }
  const crypto::Nonce& nonce() const { return nonce_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  absl::Status CheckFrame(uint64_t channel, size_t body_size) const;
  absl::Status WriteProto(uint64_t channel, uint8_t type, const google::protobuf::MessageLite& message,
                          std::string* out);
  // Appends the frame in clear, without the started check.
  absl::Status AppendProto(uint64_t channel, uint8_t type, const google::protobuf::MessageLite& message,
                           std::string* out) const;
  // Encrypts (once started) and counts out[start, end()).
  void Seal(std::string* out, size_t start);

  const WireWriterOptions options_;
  crypto::Nonce nonce_;
  bool started_ = false;
  std::unique_ptr<crypto::StreamCipher> cipher_;
  uint64_t bytes_written_ = 0;
};

}  // namespace evermirror::wire
