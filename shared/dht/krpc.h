// KRPC (BEP 5): the four DHT queries, their responses and error replies, parsed from and
// encoded to single bencoded datagrams, plus compact node/peer lists (IPv4 only). Used by
// DhtNode; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "shared/dht/endpoint.h"
#include "shared/dht/node_id.h"

namespace evermirror::dht {

enum class Method { kPing = 0, kFindNode = 1, kGetPeers = 2, kAnnouncePeer = 3 };
inline constexpr int kMethodCount = 4;
std::string_view MethodName(Method method);

enum class MessageKind { kUnknown, kQuery, kResponse, kError };

// BEP 5 error codes.
inline constexpr int kErrorGeneric = 201;
inline constexpr int kErrorServer = 202;
inline constexpr int kErrorProtocol = 203;
inline constexpr int kErrorMethodUnknown = 204;

inline constexpr size_t kMaxTransactionIdBytes = 32;
inline constexpr size_t kMaxTokenBytes = 64;

struct Query {
  Method method = Method::kPing;
  NodeId id;                  // the querying node
  NodeId target;              // find_node: target; get_peers, announce_peer: info_hash
  std::string token;          // announce_peer
  uint16_t port = 0;          // announce_peer
  bool implied_port = false;  // announce_peer: use the datagram's source port instead
};

struct Response {
  NodeId id;                         // the responding node
  std::vector<Contact> nodes;        // "nodes", compact, when present
  std::vector<Endpoint> values;      // "values" (get_peers), 6-byte entries only
  std::optional<std::string> token;  // get_peers
};

struct ErrorReply {
  int64_t code = kErrorGeneric;
  std::string message;
};

struct Message {
  MessageKind kind = MessageKind::kUnknown;  // set once "y" is read
  std::string transaction_id;  // "t", echoed in the reply
  std::string version;         // "v" (BEP 20), empty if absent
  Query query;                 // kind == kQuery
  Response response;           // kind == kResponse
  ErrorReply error;            // kind == kError
};

// Parses one datagram of at most `max_bytes`. On error, `*out` keeps what was read before
// the fault (transaction_id and kind when present) so a query can still get an error reply.
// Returns Unimplemented for a well-formed query with an unknown method (-> error 204) and
// InvalidArgument for anything malformed or missing (-> error 203).
absl::Status ParseMessage(std::string_view datagram, size_t max_bytes, Message* out);

// Encoders. `version` ("v") is omitted when empty. `nodes` is encoded only when non-empty;
// so are `values` and `token`.
std::string EncodeQuery(std::string_view transaction_id, const Query& query, std::string_view version);
std::string EncodeResponse(std::string_view transaction_id, const Response& response,
                           std::string_view version);
std::string EncodeError(std::string_view transaction_id, const ErrorReply& error, std::string_view version);

// Compact node list: concatenated 26-byte entries. nullopt if the length is not a multiple of 26.
std::string EncodeCompactNodes(const std::vector<Contact>& nodes);
std::optional<std::vector<Contact>> DecodeCompactNodes(std::string_view raw);

}  // namespace evermirror::dht
