// DhtNode's inbound half: parsing datagrams, answering queries, matching replies.
#include "shared/dht/dht_node.h"

namespace evermirror::dht {
namespace {

constexpr size_t kMaxVerifyingPings = 64;

}  // namespace

void DhtNode::HandleDatagramLocked(const Endpoint& from, std::string_view datagram) {
  stats_.bytes_in += datagram.size();
  if (datagram.size() > options_.max_datagram_bytes || from.port == 0) {
    ++stats_.malformed_in;
    return;
  }
  Message msg;
  const absl::Status status = ParseMessage(datagram, options_.max_datagram_bytes, &msg);
  if (!status.ok()) {
    ++stats_.malformed_in;
    // Only a recognisable query gets an error reply; junk and bad replies are dropped, so
    // the node cannot be used to reflect traffic at a third party.
    if (msg.kind != MessageKind::kQuery || msg.transaction_id.empty()) return;
    if (!limiter_.Allow(from.ip, seams_.clock->Now())) {
      ++stats_.rate_limited_in;
      return;
    }
    const bool unknown = absl::IsUnimplemented(status);
    if (unknown) ++stats_.unknown_method_in;
    SendErrorLocked(from, msg.transaction_id, unknown ? kErrorMethodUnknown : kErrorProtocol,
                    std::string(status.message()));
    return;
  }
  if (msg.kind == MessageKind::kQuery) {
    HandleQueryLocked(from, msg);
  } else {
    HandleReplyLocked(from, msg);
  }
}

void DhtNode::SendErrorLocked(const Endpoint& to, const std::string& tid, int code, std::string message) {
  ++stats_.errors_out;
  SendLocked(to, EncodeError(tid, ErrorReply{code, std::move(message)}, options_.version));
}

void DhtNode::HandleQueryLocked(const Endpoint& from, const Message& msg) {
  const absl::Time now = seams_.clock->Now();
  if (!limiter_.Allow(from.ip, now)) {
    ++stats_.rate_limited_in;
    return;
  }
  const Query& q = msg.query;
  if (q.id == id_) return;  // our own query reflected back, or an id thief
  ++stats_.queries_in[static_cast<int>(q.method)];
  NoteQuerierLocked(Contact{q.id, from});
  Response r;
  r.id = id_;
  switch (q.method) {
    case Method::kPing:
      break;
    case Method::kFindNode:
      r.nodes = table_.Closest(q.target, options_.k);
      break;
    case Method::kGetPeers:
      r.token = tokens_.Issue(from.ip, now);
      r.nodes = table_.Closest(q.target, options_.k);
      r.values = store_.Get(q.target, options_.max_values_per_reply, now, *seams_.random);
      break;
    case Method::kAnnouncePeer: {
      ErrorReply e;
      if (!AnswerAnnounceLocked(from, q, &r, &e)) {
        SendErrorLocked(from, msg.transaction_id, static_cast<int>(e.code), e.message);
        return;
      }
      break;
    }
  }
  ++stats_.responses_out;
  SendLocked(from, EncodeResponse(msg.transaction_id, r, options_.version));
}

bool DhtNode::AnswerAnnounceLocked(const Endpoint& from, const Query& q, Response*, ErrorReply* e) {
  const absl::Time now = seams_.clock->Now();
  if (!tokens_.Verify(q.token, from.ip, now)) {
    ++stats_.bad_tokens_in;
    *e = ErrorReply{kErrorProtocol, "bad token"};
    return false;
  }
  // implied_port: the peer's port is the source port of this datagram (it is behind a NAT
  // or uses uTP on the DHT socket).
  const Endpoint peer{from.ip, q.implied_port ? from.port : q.port};
  if (!store_.Add(q.target, peer, now)) {
    *e = ErrorReply{kErrorServer, "peer storage full"};
    return false;
  }
  ++stats_.announces_stored;
  return true;
}

void DhtNode::NoteQuerierLocked(const Contact& querier) {
  if (table_.OnQuery(querier, seams_.clock->Now())) return;
  // An unknown querier enters the table only after answering our ping, so a spoofed source
  // address cannot plant itself in the table.
  if (!table_.HasRoomFor(querier.id) || table_.Contains(querier.id)) return;
  // Bounded, so a flood of queries from many (spoofed) addresses cannot make us ping them all.
  if (verifying_.size() >= kMaxVerifyingPings || !verifying_.insert(querier.endpoint).second) return;
  Query q;
  q.method = Method::kPing;
  const Endpoint endpoint = querier.endpoint;
  SendQueryLocked(endpoint, querier.id, q, [this, endpoint](const Message*) { verifying_.erase(endpoint); });
}

void DhtNode::HandleReplyLocked(const Endpoint& from, const Message& msg) {
  auto it = pending_.find(msg.transaction_id);
  // A reply must come from the address we asked: anything else is late, lost or spoofed.
  if (it == pending_.end() || it->second.to != from) {
    ++stats_.unexpected_replies;
    return;
  }
  PendingQuery pending = std::move(it->second);
  pending_.erase(it);
  CancelTaskLocked(pending.timeout_task);
  if (msg.kind == MessageKind::kError) {
    ++stats_.errors_in;
  } else {
    ++stats_.responses_in;
    if (pending.method == Method::kAnnouncePeer) ++stats_.announces_acked;
    if (msg.response.id != id_) table_.OnResponse(Contact{msg.response.id, from}, seams_.clock->Now());
  }
  if (pending.handler) pending.handler(&msg);
}

}  // namespace evermirror::dht
