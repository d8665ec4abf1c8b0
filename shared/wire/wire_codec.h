// WireCodec: one peer connection's v6 wire without the socket: WireReader + WireWriter sharing
// the stream key as the reference does (this side's first feed keys both directions), plus
// keep-alives on an injected Clock. The protocol engine owns one per connection: it passes in
// what the socket read, gets frames back, and sends what the Write* calls append.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "shared/crypto/crypto.h"
#include "shared/env/clock.h"
#include "shared/wire/frame.h"
#include "shared/wire/keep_alive.h"
#include "shared/wire/wire_reader.h"
#include "shared/wire/wire_writer.h"

namespace evermirror::wire {

struct WireCodecOptions {
  bool encrypted = true;  // both sides must agree (reference default: on)
  absl::Duration keep_alive_timeout = kDefaultKeepAliveTimeout;  // zero disables keep-alives
  std::optional<crypto::Nonce> nonce;  // this side's nonce; random when unset (set only in tests)
  FrameDecoderOptions frames;          // receive limits
  // InvalidArgument on a negative timeout or zero limits.
  absl::Status Validate() const;
};

// Not thread-safe. `clock` must outlive the codec.
class WireCodec {
 public:
  WireCodec(const WireCodecOptions& options, env::Clock* clock);

  // Received bytes: see WireReader::Consume (decrypted in place; frames to `on_frame`). Any
  // received byte counts as a sign of life.
  absl::Status Receive(char* data, size_t n, FrameHandler on_frame);
  // After the remote's first Feed, when needs_key(): the engine finds the feed for
  // remote_discovery_key() and opens it with WriteFeed (inside the handler or later, then
  // Resume()); that first local feed's key is the stream key for both directions.
  bool needs_key() const { return reader_.needs_key(); }
  const std::string& remote_discovery_key() const { return reader_.remote_discovery_key(); }
  absl::Status Resume(FrameHandler on_frame) { return reader_.Resume(on_frame); }

  // Appends a Feed (see WireWriter::WriteFeed). The first one also gives the reader the stream
  // key, failing (InvalidArgument, nothing written) if the remote opened another first feed.
  absl::Status WriteFeed(uint64_t channel, const crypto::PublicKey& key, std::string* out);
  template <typename M>
  absl::Status Write(uint64_t channel, const M& message, std::string* out) {
    return Sent(writer_.Write(channel, message, out));
  }
  absl::Status WriteExtension(uint64_t channel, uint64_t index, std::string_view payload, std::string* out) {
    return Sent(writer_.WriteExtension(channel, index, payload, out));
  }
  absl::Status WriteRawFrame(std::string_view payload, std::string* out) {
    return Sent(writer_.WriteRawFrame(payload, out));
  }

  // Call at NextDeadline() (or any time): appends a keep-alive frame to `*out` when this side
  // has been idle long enough; DeadlineExceeded when the remote has been silent too long.
  absl::Status Poll(std::string* out);
  absl::Time NextDeadline() const { return keep_alive_.NextDeadline(); }

  const WireReader& reader() const { return reader_; }
  const WireWriter& writer() const { return writer_; }

 private:
  absl::Status Sent(absl::Status status);

  WireReader reader_;
  WireWriter writer_;
  KeepAlive keep_alive_;
};

}  // namespace evermirror::wire
