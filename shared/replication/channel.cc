#include "shared/replication/channel.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/replication/connection.h"
#include "shared/wire/bitfield_rle.h"
#include "shared/wire/messages.h"

namespace evermirror::replication {
namespace {

namespace v1 = ::evermirror::wire::v1;
using wire::MessageType;
constexpr uint8_t Type(MessageType t) { return static_cast<uint8_t>(t); }

// hypercore 7 asks for and answers Wants in spans of 2^20 blocks, and ignores Wants that are
// not aligned to 8192 blocks (one bitfield page).
constexpr uint64_t kWantSpan = 1u << 20;
constexpr uint64_t kWantAlign = 8192;

uint64_t RoundUp8(uint64_t n) { return (n + 7) / 8 * 8; }

}  // namespace

Channel::Channel(Connection* connection, std::shared_ptr<ReplicatedFeed> feed)
    : connection_(connection),
      feed_(std::move(feed)),
      remote_(connection->options_.max_remote_bitfield_pages) {}

Channel::~Channel() { ReleaseAll(); }

void Channel::ReleaseAll() {
  for (const auto& [index, deadline] : inflight_) feed_->Release(index);
  inflight_.clear();
}

void Channel::Close() {
  ReleaseAll();
  closed_ = true;
}

template <typename M>
absl::Status Channel::Send(const M& message) {
  return connection_->codec_.Write(*local_id, message, &connection_->out_);
}

absl::Status Channel::Activate() {
  if (connection_->observer_ != nullptr) connection_->observer_->OnChannelOpen(*connection_, *feed_);
  if (feed_->mode() == DownloadMode::kNone) return UpdateInfo();
  return SendWants();
}

absl::Status Channel::OnMessage(const wire::Frame& frame) {
  if (closed_) {
    ++connection_->stats_.ignored_messages;
    return absl::OkStatus();
  }
  switch (frame.type) {
    case Type(MessageType::kInfo): return OnInfo(frame.body);
    case Type(MessageType::kHave): return OnHave(frame.body);
    case Type(MessageType::kUnhave): return OnUnhave(frame.body);
    case Type(MessageType::kWant): return OnWant(frame.body);
    case Type(MessageType::kRequest): return OnRequest(frame.body);
    case Type(MessageType::kData): return OnData(frame.body);
    default:
      // Unwant and Cancel: we answer requests at once and keep no queue, so there is nothing
      // to undo. Other types: ignored, as the reference does.
      ++connection_->stats_.ignored_messages;
      return absl::OkStatus();
  }
}

absl::Status Channel::OnInfo(std::string_view body) {
  v1::Info info;
  if (!wire::DecodeMessage(body, &info).ok()) {
    ++connection_->stats_.ignored_messages;
    return absl::OkStatus();
  }
  remote_downloading_ = !info.has_downloading() || info.downloading();
  return absl::OkStatus();
}

absl::Status Channel::OnHave(std::string_view body) {
  v1::Have have;
  EM_RETURN_IF_ERROR(wire::DecodeMessage(body, &have));
  if (have.ack()) return absl::OkStatus();  // we never ask for acknowledgements
  const uint64_t start = have.start();
  bool ok = true;
  if (have.has_bitfield()) {
    if (start % 8 != 0) return absl::InvalidArgumentError("Have bitfield not byte-aligned");
    // A bitfield covers `length` blocks; hypercore's "length 0 or 1" compat form covers all.
    const uint64_t span = have.length() > 1 ? have.length() : uint64_t{1} << 26;
    EM_ASSIGN_OR_RETURN(std::string bits, wire::DecodeBitfieldRle(have.bitfield(), RoundUp8(span) / 8));
    ok = remote_.SetFromBits(start, bits);
  } else {
    ok = have.length() <= (uint64_t{1} << 32) && remote_.SetRange(start, have.length(), true);
  }
  if (!ok) return absl::ResourceExhaustedError("peer announced more blocks than we track");
  heard_have_ = true;
  const uint64_t length = remote_.Length();
  feed_->NoteRemoteLength(length);
  if (connection_->observer_ != nullptr) connection_->observer_->OnRemoteLength(*connection_, *feed_, length);
  EM_RETURN_IF_ERROR(SendWants());
  EM_RETURN_IF_ERROR(Update());
  return UpdateInfo();
}

absl::Status Channel::OnUnhave(std::string_view body) {
  v1::Unhave unhave;
  EM_RETURN_IF_ERROR(wire::DecodeMessage(body, &unhave));
  remote_.SetRange(unhave.start(), std::min<uint64_t>(unhave.length(), uint64_t{1} << 32), false);
  return absl::OkStatus();
}

// Answered as hypercore 7 does: first the feed's length (a Have of its last block), then our
// bitfield over the span asked for.
absl::Status Channel::OnWant(std::string_view body) {
  v1::Want want;
  EM_RETURN_IF_ERROR(wire::DecodeMessage(body, &want));
  if (want.start() % kWantAlign != 0 || (want.has_length() && want.length() % kWantAlign != 0)) {
    ++connection_->stats_.ignored_messages;
    return absl::OkStatus();
  }
  hypercore::Feed& feed = feed_->feed();
  const uint64_t length = feed.length();
  if (!remote_want_ && length > 0 && feed.Has(length - 1)) {
    v1::Have last;
    last.set_start(length - 1);
    EM_RETURN_IF_ERROR(Send(last));
  }
  remote_want_ = true;
  // Bits past our length are zero and the encoding drops trailing zeros: never encode them.
  const uint64_t end = RoundUp8(length);
  const uint64_t span = want.has_length() ? want.length() : (end > want.start() ? end - want.start() : 0);
  const uint64_t bits = want.start() < end ? std::min(span, end - want.start()) : 0;
  v1::Have have;
  have.set_start(want.start());
  have.set_length(span);
  have.set_bitfield(wire::EncodeBitfieldRle(feed.BitfieldBytes(want.start(), RoundUp8(bits) / 8)));
  return Send(have);
}

absl::Status Channel::OnRequest(std::string_view body) {
  v1::Request request;
  EM_RETURN_IF_ERROR(wire::DecodeMessage(body, &request));
  if (request.bytes() != 0) {  // byte-offset seeks: not supported, as nobody sends them to a mirror
    ++connection_->stats_.ignored_messages;
    return absl::OkStatus();
  }
  hypercore::Feed& feed = feed_->feed();
  absl::StatusOr<hypercore::Proof> proof = feed.ProofFor(request.index(), request.nodes(), request.hash(), &remote_tree_);
  if (!proof.ok()) {
    ++connection_->stats_.ignored_messages;  // a block we do not have
    return proof.status().code() == absl::StatusCode::kNotFound ? absl::OkStatus() : proof.status();
  }
  v1::Data data;
  data.set_index(request.index());
  if (!request.hash()) {
    absl::StatusOr<std::string> value = feed.Get(request.index());
    if (!value.ok()) {
      ++connection_->stats_.ignored_messages;
      return hypercore::IsMissingBlock(value.status()) ? absl::OkStatus() : value.status();
    }
    connection_->stats_.blocks_out += 1;
    connection_->stats_.block_bytes_out += value->size();
    data.set_value(std::move(*value));
  }
  for (const hypercore::Node& node : proof->nodes) {
    v1::Data::Node* n = data.add_nodes();
    n->set_index(node.index);
    n->set_hash(std::string(crypto::AsView(node.hash)));
    n->set_size(node.size);
  }
  if (proof->signature.has_value()) data.set_signature(std::string(crypto::AsView(*proof->signature)));
  return Send(data);
}

absl::Status Channel::OnData(std::string_view body) {
  v1::Data data;
  EM_RETURN_IF_ERROR(wire::DecodeMessage(body, &data));
  auto it = inflight_.find(data.index());
  if (it == inflight_.end()) {  // not asked for: dropped, as hypercore 7 drops pushes
    ++connection_->stats_.ignored_messages;
    return absl::OkStatus();
  }
  inflight_.erase(it);
  feed_->Release(data.index());
  if (!data.has_value()) return absl::InvalidArgumentError("Data without a value for a block request");
  hypercore::Proof proof;
  for (const v1::Data::Node& n : data.nodes()) {
    proof.nodes.push_back({n.index(), crypto::ToArray<crypto::kHashSize>(n.hash()), n.size()});
  }
  if (data.has_signature()) proof.signature = crypto::ToArray<crypto::kSignatureSize>(data.signature());
  EM_RETURN_IF_ERROR(feed_->feed().Put(data.index(), data.value(), proof));
  connection_->stats_.blocks_in += 1;
  connection_->stats_.block_bytes_in += data.value().size();
  if (connection_->observer_ != nullptr) connection_->observer_->OnBlockStored(*connection_, *feed_, data.index());
  EM_RETURN_IF_ERROR(Update());
  return UpdateInfo();
}

absl::Status Channel::OnLocalBlocks(uint64_t start, uint64_t length) {
  if (!remote_want_ || length == 0) return absl::OkStatus();
  v1::Have have;
  have.set_start(start);
  if (length > 1) have.set_length(length);
  return Send(have);
}

// hypercore 7 always wants the first span and then each span the peer's length reaches.
absl::Status Channel::SendWants() {
  if (!open() || feed_->mode() == DownloadMode::kNone) return absl::OkStatus();
  const uint64_t spans = std::max<uint64_t>(1, (remote_.Length() + kWantSpan - 1) / kWantSpan);
  for (uint64_t s = 0; s < spans; ++s) {
    if (!wants_sent_.insert(s).second) continue;
    v1::Want want;
    want.set_start(s * kWantSpan);
    want.set_length(kWantSpan);
    EM_RETURN_IF_ERROR(Send(want));
  }
  return absl::OkStatus();
}

// Tells the peer when we stop (or resume) downloading, so a peer replicating non-live can end
// the stream once neither side needs anything. Before the peer's first Have we cannot know.
absl::Status Channel::UpdateInfo() {
  if (!open()) return absl::OkStatus();
  bool downloading = false;
  if (feed_->mode() != DownloadMode::kNone) {
    if (!heard_have_) return absl::OkStatus();
    // Requests in flight mean we are downloading. Only an idle channel looks for a wanted
    // block, a scan of the bitfield from 0 that must not run once per Data (O(n^2) a feed).
    downloading = !inflight_.empty() || !feed_->SatisfiedUpTo(remote_.Length());
  }
  if (sent_downloading_ == downloading || (!sent_downloading_.has_value() && downloading)) {
    return absl::OkStatus();
  }
  sent_downloading_ = downloading;
  v1::Info info;
  info.set_uploading(true);
  info.set_downloading(downloading);
  return Send(info);
}

absl::Status Channel::Update() {
  if (!open() || feed_->mode() == DownloadMode::kNone) return absl::OkStatus();
  // Two passes: from the cursor to the end, then from the start again, so blocks another
  // connection gave back (it died) are picked up; each pass only moves forward.
  for (int pass = 0; pass < 2 && inflight_.size() < connection_->options_.max_inflight; ++pass) {
    bool sent = true;
    while (sent && inflight_.size() < connection_->options_.max_inflight) {
      EM_RETURN_IF_ERROR(RequestNext(&sent));
    }
    if (inflight_.size() < connection_->options_.max_inflight) cursor_ = 0;
  }
  return absl::OkStatus();
}

// Requests the first block at or after the cursor that we want, the peer has and no other
// connection is fetching. `*sent` is false when the search reached the peer's end.
absl::Status Channel::RequestNext(bool* sent) {
  const uint64_t end = remote_.Length();
  *sent = false;
  while (cursor_ < end) {
    const uint64_t i = feed_->NextWanted(cursor_, end);
    if (i >= end) {
      cursor_ = end;
      return absl::OkStatus();
    }
    const uint64_t has = remote_.NextSet(i, end);
    if (has != i) {
      cursor_ = has;
      continue;
    }
    cursor_ = i + 1;
    if (inflight_.count(i) || !feed_->Reserve(i)) continue;
    v1::Request request;
    request.set_index(i);
    request.set_nodes(feed_->feed().Digest(i));
    inflight_[i] = connection_->clock_->Now() + connection_->options_.request_timeout;
    connection_->stats_.requests_sent += 1;
    *sent = true;
    return Send(request);
  }
  return absl::OkStatus();
}

absl::Status Channel::CheckTimeouts(absl::Time now) const {
  for (const auto& [index, deadline] : inflight_) {
    if (deadline <= now) {
      return absl::DeadlineExceededError(absl::StrCat("peer did not answer the request for block ", index));
    }
  }
  return absl::OkStatus();
}

absl::Time Channel::NextDeadline() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [index, deadline] : inflight_) next = std::min(next, deadline);
  return next;
}

}  // namespace evermirror::replication
