// WireReader: bytes received from one peer in, frames out, decrypting as hypercore-protocol 6.12
// does. The remote's first Feed arrives in clear with its nonce; every later byte is XSalsa20
// ciphertext keyed by the stream key (the first feed's public key, the same on both sides).
// Socket-independent; the protocol engine (or WireCodec) feeds it whatever the socket read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "shared/crypto/crypto.h"
#include "shared/wire/frame.h"

namespace evermirror::wire {

struct WireReaderOptions {
  // Must match the remote; the reference default is on. Off: nothing is decrypted and a nonce
  // in the remote's Feed is ignored.
  bool encrypted = true;
  // The stream key, if known before the remote's first Feed (this side opened a feed first).
  std::optional<crypto::PublicKey> key;
  FrameDecoderOptions frames;
};

// Called for every frame in stream order (keep-alives and header-only frames included). The
// frame's views live until the handler returns. A non-OK status stops the reader (sticky).
using FrameHandler = absl::FunctionRef<absl::Status(const Frame&)>;

// Not thread-safe.
class WireReader {
 public:
  // Bytes kept while waiting for the key (the reference pauses the socket instead).
  static constexpr size_t kMaxKeptBytes = 2 * kMaxMessageSize;

  explicit WireReader(WireReaderOptions options = {});
  ~WireReader();

  // Decrypts `data[0, n)` in place and hands every completed frame to `on_frame`. When the
  // remote's first Feed has been parsed and the key is not yet known, the bytes after it are kept
  // (copied, at most kMaxKeptBytes) and needs_key() turns true; call SetKey() and then Resume().
  // `data` is free for reuse when Consume returns.
  // Errors (sticky: later calls return the same): those of FrameDecoder::Next; InvalidArgument
  // when the remote's first message (keep-alives and header-only frames aside) is not a valid
  // Feed, or, encrypted, it has no nonce or its discovery key is not the stream key's;
  // ResourceExhausted when more than kMaxKeptBytes arrive while the key is missing; any error
  // returned by `on_frame`.
  absl::Status Consume(char* data, size_t n, FrameHandler on_frame);

  // Sets the stream key. May be called inside `on_frame` (typically while handling the remote's
  // first Feed, as the reference opens its feed in the 'feed' event): parsing then continues in
  // the same Consume call. InvalidArgument if, encrypted, the remote's first Feed has another
  // discovery key; FailedPrecondition if a different key was set before.
  absl::Status SetKey(const crypto::PublicKey& key);

  // Processes bytes kept while the key was missing. OK and nothing done if still needs_key().
  absl::Status Resume(FrameHandler on_frame);

  // True after the remote's first Feed until SetKey(): its discovery key is remote_discovery_key().
  bool needs_key() const { return state_ == State::kNeedKey; }
  // The discovery key (32 bytes) of the remote's first Feed; empty until it is parsed.
  const std::string& remote_discovery_key() const { return remote_discovery_key_; }
  // The remote's nonce (encrypted streams) once its first Feed is parsed.
  const std::optional<crypto::Nonce>& remote_nonce() const { return remote_nonce_; }
  bool encrypted() const { return state_ != State::kPlain; }
  const absl::Status& status() const { return status_; }
  uint64_t bytes_consumed() const { return bytes_consumed_; }
  // True when no partial frame is buffered and no bytes are waiting for the key.
  bool at_frame_boundary() const { return decoder_.at_frame_boundary() && stash_.empty(); }

 private:
  enum class State {
    kPlain,       // encryption off
    kClear,       // encrypted, the remote's first Feed not parsed yet
    kNeedKey,     // first Feed parsed, key unknown: incoming bytes are kept undecrypted
    kDecrypting,  // every byte is XORed before parsing
  };

  absl::Status Process(char* data, size_t n, FrameHandler on_frame);
  absl::Status OnFirstFeed(const Frame& frame);
  absl::Status StartCipher();
  absl::Status Fail(absl::Status status);

  State state_;
  std::optional<crypto::PublicKey> key_;
  FrameDecoder decoder_;
  std::unique_ptr<crypto::StreamCipher> cipher_;
  std::string remote_discovery_key_;
  std::optional<crypto::Nonce> remote_nonce_;
  std::string stash_;  // ciphertext received while the key was missing
  absl::Status status_;
  uint64_t bytes_consumed_ = 0;
};

}  // namespace evermirror::wire
