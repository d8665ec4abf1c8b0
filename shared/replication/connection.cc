#include "shared/replication/connection.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/replication/channel.h"
#include "shared/wire/messages.h"

namespace evermirror::replication {
namespace {

namespace v1 = ::evermirror::wire::v1;
using wire::MessageType;
constexpr uint8_t Type(MessageType t) { return static_cast<uint8_t>(t); }

wire::WireCodecOptions CodecOptions(const ConnectionOptions& options) {
  wire::WireCodecOptions codec;
  codec.encrypted = options.encrypted;
  codec.keep_alive_timeout = options.keep_alive_timeout;
  codec.nonce = options.nonce;
  return codec;
}

}  // namespace

absl::Status ConnectionOptions::Validate() const {
  if (max_inflight == 0) return absl::InvalidArgumentError("max_inflight must be > 0");
  if (max_feeds == 0 || max_feeds > wire::kDefaultMaxChannels) {
    return absl::InvalidArgumentError("max_feeds must be in [1, 256]");
  }
  if (request_timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("request_timeout must be > 0");
  if (max_remote_bitfield_pages == 0) return absl::InvalidArgumentError("max_remote_bitfield_pages must be > 0");
  return absl::OkStatus();
}

Connection::Connection(const ConnectionOptions& options, FeedDirectory* directory, ConnectionObserver* observer,
                       env::Clock* clock)
    : options_(options), directory_(directory), observer_(observer), clock_(clock),
      codec_(CodecOptions(options), clock) {
  id_.resize(32);
  crypto::RandomBytes(id_.data(), id_.size());
}

Connection::~Connection() = default;

absl::Status Connection::Start(std::shared_ptr<ReplicatedFeed> first) {
  if (started_) return absl::FailedPreconditionError("connection already started");
  auto channel = std::make_unique<Channel>(this, first);
  Channel* raw = channel.get();
  channels_.push_back(std::move(channel));
  EM_RETURN_IF_ERROR(OpenLocal(std::move(first), raw));
  return SendHandshake();
}

// Sends our Feed for `feed` on the next local channel. The first one keys the stream.
absl::Status Connection::OpenLocal(std::shared_ptr<ReplicatedFeed> feed, Channel* channel) {
  const uint64_t id = next_local_channel_++;
  EM_RETURN_IF_ERROR(codec_.WriteFeed(id, feed->key(), &out_));
  channel->local_id = id;
  started_ = true;
  if (channel->open()) EM_RETURN_IF_ERROR(channel->Activate());
  return absl::OkStatus();
}

absl::Status Connection::SendHandshake() {
  v1::Handshake handshake;
  handshake.set_id(id_);
  handshake.set_live(options_.live);
  return codec_.Write(0, handshake, &out_);
}

absl::Status Connection::OnBytes(char* data, size_t n) {
  stats_.bytes_in += n;
  return codec_.Receive(data, n, [this](const wire::Frame& frame) { return HandleFrame(frame); });
}

absl::Status Connection::HandleFrame(const wire::Frame& frame) {
  if (frame.kind != wire::FrameKind::kMessage) return absl::OkStatus();  // keep-alives
  if (frame.type == Type(MessageType::kFeed)) return HandleFeed(frame);
  if (frame.type == Type(MessageType::kHandshake)) return HandleHandshake(frame);
  auto opened = remote_opened_.find(frame.channel);
  if (opened == remote_opened_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("message on channel ", frame.channel, " the peer never opened"));
  }
  auto it = by_remote_channel_.find(frame.channel);
  if (it == by_remote_channel_.end() || frame.type == Type(MessageType::kExtension)) {
    ++stats_.ignored_messages;  // a feed we do not carry, or an extension we did not offer
    return absl::OkStatus();
  }
  return it->second->OnMessage(frame);
}

absl::Status Connection::HandleFeed(const wire::Frame& frame) {
  v1::Feed feed_msg;
  EM_RETURN_IF_ERROR(wire::DecodeMessage(frame.body, &feed_msg));
  const std::string& dk = feed_msg.discovery_key();
  std::shared_ptr<ReplicatedFeed> feed;
  Channel* channel = nullptr;
  for (auto& c : channels_) {
    if (crypto::AsView(c->feed().discovery_key()) == dk) channel = c.get();
  }
  if (channel == nullptr) feed = directory_->Find(dk);
  for (auto it = unmatched_remote_.begin(); it != unmatched_remote_.end();) {  // the peer reuses a channel
    it = it->second == frame.channel ? unmatched_remote_.erase(it) : std::next(it);
  }
  if (!started_ && feed == nullptr) {
    // The peer dialled us for a feed we do not carry: there is nothing to replicate (and,
    // encrypted, nothing we could even read).
    return absl::NotFoundError("peer asked for a feed we do not carry");
  }
  remote_opened_[frame.channel] = channel != nullptr || feed != nullptr;
  if (channel == nullptr && feed == nullptr) {
    if (unmatched_remote_.size() < options_.max_feeds) unmatched_remote_[dk] = frame.channel;
    ++stats_.ignored_messages;
    return absl::OkStatus();
  }
  if (channel == nullptr) {
    if (channels_.size() >= options_.max_feeds) {
      ++stats_.ignored_messages;
      return absl::OkStatus();
    }
    channels_.push_back(std::make_unique<Channel>(this, feed));
    channel = channels_.back().get();
  }
  if (channel->remote_id.has_value()) by_remote_channel_.erase(*channel->remote_id);
  channel->remote_id = frame.channel;
  by_remote_channel_[frame.channel] = channel;
  if (!channel->local_id.has_value()) {
    const bool first = !started_;
    EM_RETURN_IF_ERROR(OpenLocal(channel->feed_ptr(), channel));
    if (first) {
      EM_RETURN_IF_ERROR(SendHandshake());
      for (auto& deferred : deferred_) EM_RETURN_IF_ERROR(OpenFeed(std::move(deferred)));
      deferred_.clear();
    }
    return absl::OkStatus();
  }
  return channel->Activate();
}

absl::Status Connection::HandleHandshake(const wire::Frame& frame) {
  v1::Handshake handshake;
  EM_RETURN_IF_ERROR(wire::DecodeMessage(frame.body, &handshake));
  if (handshake_received_) {
    ++stats_.ignored_messages;
    return absl::OkStatus();
  }
  handshake_received_ = true;
  remote_id_ = handshake.id();
  if (remote_id_ == id_) return absl::FailedPreconditionError("connected to ourselves");
  return absl::OkStatus();
}

absl::Status Connection::OpenFeed(std::shared_ptr<ReplicatedFeed> feed) {
  if (ChannelFor(*feed) != nullptr) return absl::OkStatus();
  if (!started_) {
    deferred_.push_back(std::move(feed));
    return absl::OkStatus();
  }
  if (channels_.size() >= options_.max_feeds) return absl::ResourceExhaustedError("too many feeds on this connection");
  channels_.push_back(std::make_unique<Channel>(this, feed));
  Channel* channel = channels_.back().get();
  // The peer may have opened this feed before we carried it (a hyperdrive writer opens its
  // content feed right after the handshake; a reader learns that key from metadata block 0).
  // It never sends that Feed again, so pair with its channel now.
  auto unmatched = unmatched_remote_.find(std::string(crypto::AsView(feed->discovery_key())));
  if (unmatched != unmatched_remote_.end()) {
    channel->remote_id = unmatched->second;
    by_remote_channel_[unmatched->second] = channel;
    remote_opened_[unmatched->second] = true;
    unmatched_remote_.erase(unmatched);
  }
  return OpenLocal(std::move(feed), channel);
}

void Connection::CloseFeed(const ReplicatedFeed& feed) {
  if (Channel* channel = ChannelFor(feed)) channel->Close();
}

absl::Status Connection::OnLocalBlocks(const ReplicatedFeed& feed, uint64_t start, uint64_t length) {
  Channel* channel = ChannelFor(feed);
  if (channel == nullptr || !channel->open()) return absl::OkStatus();
  return channel->OnLocalBlocks(start, length);
}

absl::Status Connection::Update() {
  for (auto& channel : channels_) EM_RETURN_IF_ERROR(channel->Update());
  return absl::OkStatus();
}

absl::Status Connection::Poll() {
  EM_RETURN_IF_ERROR(codec_.Poll(&out_));
  const absl::Time now = clock_->Now();
  for (auto& channel : channels_) EM_RETURN_IF_ERROR(channel->CheckTimeouts(now));
  return absl::OkStatus();
}

absl::Time Connection::NextDeadline() const {
  absl::Time next = codec_.NextDeadline();
  for (const auto& channel : channels_) next = std::min(next, channel->NextDeadline());
  return next;
}

size_t Connection::open_channels() const {
  return static_cast<size_t>(std::count_if(channels_.begin(), channels_.end(), [](const auto& c) { return c->open(); }));
}

size_t Connection::inflight() const {
  size_t n = 0;
  for (const auto& c : channels_) n += c->inflight();
  return n;
}

std::vector<std::shared_ptr<ReplicatedFeed>> Connection::Feeds() const {
  std::vector<std::shared_ptr<ReplicatedFeed>> out;
  for (const auto& c : channels_) {
    if (c->open()) out.push_back(c->feed_ptr());
  }
  return out;
}

Channel* Connection::ChannelFor(const ReplicatedFeed& feed) const {
  for (const auto& c : channels_) {
    if (&c->feed() == &feed) return c.get();
  }
  return nullptr;
}

}  // namespace evermirror::replication
