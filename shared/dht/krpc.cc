#include "shared/dht/krpc.h"

#include "absl/strings/str_cat.h"
#include "shared/base/strings.h"
#include "shared/dht/bencode.h"

namespace evermirror::dht {
namespace {

using bencode::Value;

constexpr std::string_view kMethodNames[kMethodCount] = {"ping", "find_node", "get_peers", "announce_peer"};

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("krpc: ", ToAbsl(what)));
}

absl::Status ReadId(const Value& dict, std::string_view key, NodeId* out) {
  const std::string* raw = dict.FindString(key);
  if (raw == nullptr) return Malformed(absl::StrCat("missing ", ToAbsl(key)));
  std::optional<NodeId> id = NodeId::FromBytes(*raw);
  if (!id) return Malformed(absl::StrCat(ToAbsl(key), " is not 20 bytes"));
  *out = *id;
  return absl::OkStatus();
}

absl::Status ParseAnnounceArgs(const Value& a, Query* q) {
  const std::string* token = a.FindString("token");
  if (token == nullptr || token->empty() || token->size() > kMaxTokenBytes) return Malformed("bad token");
  q->token = *token;
  std::optional<int64_t> implied = a.FindInt("implied_port");
  q->implied_port = implied.has_value() && *implied != 0;
  std::optional<int64_t> port = a.FindInt("port");
  if (!q->implied_port && (!port || *port <= 0 || *port > 65535)) return Malformed("bad port");
  q->port = port && *port > 0 && *port <= 65535 ? static_cast<uint16_t>(*port) : 0;
  return absl::OkStatus();
}

absl::Status ParseQuery(const Value& root, Message* out) {
  const std::string* q = root.FindString("q");
  if (q == nullptr) return Malformed("query without q");
  const Value* a = root.FindDict("a");
  if (a == nullptr) return Malformed("query without a");
  Query& query = out->query;
  int method = -1;
  for (int i = 0; i < kMethodCount; ++i) {
    if (*q == kMethodNames[i]) method = i;
  }
  if (method < 0) return absl::UnimplementedError(absl::StrCat("krpc: unknown method ", q->substr(0, 32)));
  query.method = static_cast<Method>(method);
  if (absl::Status s = ReadId(*a, "id", &query.id); !s.ok()) return s;
  switch (query.method) {
    case Method::kPing:
      return absl::OkStatus();
    case Method::kFindNode:
      return ReadId(*a, "target", &query.target);
    case Method::kGetPeers:
      return ReadId(*a, "info_hash", &query.target);
    case Method::kAnnouncePeer:
      if (absl::Status s = ReadId(*a, "info_hash", &query.target); !s.ok()) return s;
      return ParseAnnounceArgs(*a, &query);
  }
  return Malformed("unreachable");
}

absl::Status ParseResponse(const Value& root, Message* out) {
  const Value* r = root.FindDict("r");
  if (r == nullptr) return Malformed("response without r");
  Response& response = out->response;
  if (absl::Status s = ReadId(*r, "id", &response.id); !s.ok()) return s;
  if (const std::string* nodes = r->FindString("nodes")) {
    std::optional<std::vector<Contact>> decoded = DecodeCompactNodes(*nodes);
    if (!decoded) return Malformed("nodes is not a multiple of 26 bytes");
    response.nodes = std::move(*decoded);
  }
  if (const Value::List* values = r->FindList("values")) {
    for (const Value& v : *values) {
      // IPv6 peers (18 bytes, BEP 32) and junk are skipped, not fatal.
      if (!v.is_string()) continue;
      if (std::optional<Endpoint> peer = Endpoint::FromCompact(v.as_string())) response.values.push_back(*peer);
    }
  }
  if (const std::string* token = r->FindString("token")) {
    if (token->size() > kMaxTokenBytes) return Malformed("token too long");
    response.token = *token;
  }
  return absl::OkStatus();
}

absl::Status ParseError(const Value& root, Message* out) {
  const Value::List* e = root.FindList("e");
  if (e == nullptr || e->empty() || !(*e)[0].is_int()) return Malformed("error without [code, message]");
  out->error.code = (*e)[0].as_int();
  if (e->size() > 1 && (*e)[1].is_string()) out->error.message = (*e)[1].as_string().substr(0, 256);
  return absl::OkStatus();
}

Value::Dict Envelope(std::string_view transaction_id, std::string_view y, std::string_view version) {
  Value::Dict d;
  d["t"] = Value(transaction_id);
  d["y"] = Value(y);
  if (!version.empty()) d["v"] = Value(version);
  return d;
}

}  // namespace

std::string_view MethodName(Method method) { return kMethodNames[static_cast<int>(method)]; }

absl::Status ParseMessage(std::string_view datagram, size_t max_bytes, Message* out) {
  *out = Message();
  bencode::DecodeLimits limits;
  limits.max_input_bytes = max_bytes;
  limits.max_depth = 6;
  limits.max_container_entries = 512;
  limits.max_values = 2048;
  absl::StatusOr<Value> root = bencode::Decode(datagram, limits);
  if (!root.ok()) return Malformed(ToStd(root.status().message()));
  if (!root->is_dict()) return Malformed("message is not a dict");
  const std::string* t = root->FindString("t");
  if (t == nullptr || t->size() > kMaxTransactionIdBytes) return Malformed("missing or oversized t");
  out->transaction_id = *t;
  if (const std::string* v = root->FindString("v")) out->version = v->substr(0, 16);
  const std::string* y = root->FindString("y");
  if (y == nullptr) return Malformed("missing y");
  if (*y == "q") {
    out->kind = MessageKind::kQuery;
    return ParseQuery(*root, out);
  }
  if (*y == "r") {
    out->kind = MessageKind::kResponse;
    return ParseResponse(*root, out);
  }
  if (*y == "e") {
    out->kind = MessageKind::kError;
    return ParseError(*root, out);
  }
  return Malformed("unknown y");
}

std::string EncodeQuery(std::string_view transaction_id, const Query& query, std::string_view version) {
  Value::Dict d = Envelope(transaction_id, "q", version);
  d["q"] = Value(MethodName(query.method));
  Value::Dict a;
  a["id"] = Value(query.id.view());
  switch (query.method) {
    case Method::kPing:
      break;
    case Method::kFindNode:
      a["target"] = Value(query.target.view());
      break;
    case Method::kGetPeers:
      a["info_hash"] = Value(query.target.view());
      break;
    case Method::kAnnouncePeer:
      a["info_hash"] = Value(query.target.view());
      a["port"] = Value(int64_t{query.port});
      a["token"] = Value(query.token);
      a["implied_port"] = Value(query.implied_port ? 1 : 0);
      break;
  }
  d["a"] = Value(std::move(a));
  return bencode::Encode(Value(std::move(d)));
}

std::string EncodeResponse(std::string_view transaction_id, const Response& response, std::string_view version) {
  Value::Dict d = Envelope(transaction_id, "r", version);
  Value::Dict r;
  r["id"] = Value(response.id.view());
  if (!response.nodes.empty()) r["nodes"] = Value(EncodeCompactNodes(response.nodes));
  if (!response.values.empty()) {
    Value::List values;
    for (const Endpoint& peer : response.values) values.emplace_back(peer.Compact());
    r["values"] = Value(std::move(values));
  }
  if (response.token) r["token"] = Value(*response.token);
  d["r"] = Value(std::move(r));
  return bencode::Encode(Value(std::move(d)));
}

std::string EncodeError(std::string_view transaction_id, const ErrorReply& error, std::string_view version) {
  Value::Dict d = Envelope(transaction_id, "e", version);
  d["e"] = Value(Value::List{Value(error.code), Value(error.message)});
  return bencode::Encode(Value(std::move(d)));
}

std::string EncodeCompactNodes(const std::vector<Contact>& nodes) {
  std::string out;
  out.reserve(nodes.size() * kCompactNodeSize);
  for (const Contact& c : nodes) out += c.Compact();
  return out;
}

std::optional<std::vector<Contact>> DecodeCompactNodes(std::string_view raw) {
  if (raw.size() % kCompactNodeSize != 0) return std::nullopt;
  std::vector<Contact> nodes;
  nodes.reserve(raw.size() / kCompactNodeSize);
  for (size_t i = 0; i < raw.size(); i += kCompactNodeSize) {
    nodes.push_back(*Contact::FromCompact(raw.substr(i, kCompactNodeSize)));
  }
  return nodes;
}

}  // namespace evermirror::dht
