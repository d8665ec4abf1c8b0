// One feed replicated over one connection: the peer's view of the feed (its bitfield, what it
// wants, the Merkle nodes it has), our outstanding requests, and the handlers for the messages
// of that channel. Owned by its Connection; see connection.h for the protocol as a whole.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "shared/hypercore/tree_index.h"
#include "shared/replication/remote_bitfield.h"
#include "shared/replication/replicated_feed.h"
#include "shared/wire/frame.h"

namespace evermirror::replication {

class Connection;

// Not thread-safe (its connection's thread).
class Channel {
 public:
  Channel(Connection* connection, std::shared_ptr<ReplicatedFeed> feed);
  ~Channel();  // gives back reserved blocks

  ReplicatedFeed& feed() const { return *feed_; }
  const std::shared_ptr<ReplicatedFeed>& feed_ptr() const { return feed_; }
  std::optional<uint64_t> local_id;   // our channel number, once our Feed is sent
  std::optional<uint64_t> remote_id;  // theirs, once their Feed arrived
  bool open() const { return local_id.has_value() && remote_id.has_value() && !closed_; }

  // Both sides have opened the channel: start asking / tell the peer we only seed.
  absl::Status Activate();
  // A message of this channel. Errors end the connection.
  absl::Status OnMessage(const wire::Frame& frame);
  // We stored blocks [start, start + length): announce them if the peer asked.
  absl::Status OnLocalBlocks(uint64_t start, uint64_t length);
  // Sends Requests up to the connection's limit for blocks we want and the peer has.
  absl::Status Update();
  // DeadlineExceeded if a request is overdue.
  absl::Status CheckTimeouts(absl::Time now) const;
  absl::Time NextDeadline() const;
  // The feed left the store: stop using it.
  void Close();

  size_t inflight() const { return inflight_.size(); }
  uint64_t remote_length() const { return remote_.Length(); }

 private:
  absl::Status OnHave(std::string_view body);
  absl::Status OnUnhave(std::string_view body);
  absl::Status OnWant(std::string_view body);
  absl::Status OnRequest(std::string_view body);
  absl::Status OnData(std::string_view body);
  absl::Status OnInfo(std::string_view body);
  absl::Status SendWants();
  absl::Status UpdateInfo();
  absl::Status RequestNext(bool* sent);
  void ReleaseAll();
  template <typename M>
  absl::Status Send(const M& message);

  Connection* const connection_;
  const std::shared_ptr<ReplicatedFeed> feed_;
  RemoteBitfield remote_;
  hypercore::RemoteTree remote_tree_;  // what the peer has of our Merkle tree
  bool closed_ = false;
  bool remote_want_ = false;       // the peer sent a Want: it gets our Haves
  bool heard_have_ = false;        // the peer told us what it has at least once
  bool remote_downloading_ = true;
  std::optional<bool> sent_downloading_;  // unset: the peer assumes we download
  std::set<uint64_t> wants_sent_;         // in units of kWantSpan blocks
  std::map<uint64_t, absl::Time> inflight_;  // requested block -> deadline
  uint64_t cursor_ = 0;                      // where the next request search starts
};

}  // namespace evermirror::replication
