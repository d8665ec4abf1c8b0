// Test support: a malicious hypercore-protocol v6 peer built on shared/wire's WireCodec. It
// dials a replicator, opens a feed it really has (a copy of an honest store), announces every
// block and holds the Requests it gets until told to lie; then it answers one of them with a
// forged signature, a wrong proof hash or wrong block bytes, or sends garbage bytes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shared/env/clock.h"
#include "shared/hypercore/feed.h"
#include "shared/wire/messages.h"
#include "shared/wire/wire_codec.h"

namespace evermirror::testing {

enum class Lie {
  kForgedSignature,  // the signature in the proof has a flipped bit
  kWrongHash,        // a Merkle node of the proof has a flipped bit
  kWrongData,        // the block's bytes differ from what the tree says
  kGarbage,          // bytes that are no frame at all, correctly encrypted
};
const char* LieName(Lie lie);

// Not thread-safe.
class LyingPeer {
 public:
  // Dials 127.0.0.1:`port` and opens `feed` (which must hold every block). `feed` must outlive
  // the peer. Unavailable if the connection fails.
  static absl::StatusOr<std::unique_ptr<LyingPeer>> Connect(uint16_t port, hypercore::Feed* feed, bool encrypted);
  ~LyingPeer();

  // Exchanges bytes until `done()` holds (OK), the replicator closes the connection
  // (Unavailable), a protocol error, or `timeout` (DeadlineExceeded).
  absl::Status RunUntil(const std::function<bool()>& done, absl::Duration timeout);
  // Sends the lie. REQUIRES: a Request is held, unless `lie` is kGarbage.
  absl::Status Tell(Lie lie);

  size_t held_requests() const { return held_.size(); }
  bool channel_open() const { return remote_channel_open_; }

 private:
  LyingPeer(int fd, hypercore::Feed* feed, bool encrypted);
  absl::Status Handle(const wire::Frame& frame);
  absl::Status Flush();
  absl::Status SendGarbage();

  const int fd_;
  hypercore::Feed* const feed_;
  const bool encrypted_;
  const crypto::Nonce nonce_;
  wire::WireCodec codec_;
  std::string out_;
  uint64_t sent_ = 0;         // bytes written to the socket
  uint64_t clear_bytes_ = 0;  // the leading bytes sent unencrypted (our first Feed)
  bool remote_channel_open_ = false;
  bool announced_ = false;
  hypercore::RemoteTree remote_tree_;
  std::deque<wire::v1::Request> held_;
};

}  // namespace evermirror::testing
