#include "tests/replicator/lying_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "shared/base/status_macros.h"

namespace evermirror::testing {
namespace {

namespace v1 = ::evermirror::wire::v1;
using wire::MessageType;

crypto::Nonce FixedNonce() {
  crypto::Nonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(0xA0 + i);
  return nonce;
}

wire::WireCodecOptions CodecOptions(bool encrypted, const crypto::Nonce& nonce) {
  wire::WireCodecOptions options;
  options.encrypted = encrypted;
  options.nonce = nonce;
  return options;
}

}  // namespace

const char* LieName(Lie lie) {
  switch (lie) {
    case Lie::kForgedSignature: return "ForgedSignature";
    case Lie::kWrongHash: return "WrongHash";
    case Lie::kWrongData: return "WrongData";
    case Lie::kGarbage: return "Garbage";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<LyingPeer>> LyingPeer::Connect(uint16_t port, hypercore::Feed* feed, bool encrypted) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  }
  auto peer = std::unique_ptr<LyingPeer>(new LyingPeer(fd, feed, encrypted));
  EM_RETURN_IF_ERROR(peer->codec_.WriteFeed(0, feed->key(), &peer->out_));
  peer->clear_bytes_ = peer->out_.size();
  v1::Handshake handshake;
  std::string id(32, '\0');
  crypto::RandomBytes(id.data(), id.size());
  handshake.set_id(id);
  handshake.set_live(true);
  EM_RETURN_IF_ERROR(peer->codec_.Write(0, handshake, &peer->out_));
  EM_RETURN_IF_ERROR(peer->Flush());
  return peer;
}

LyingPeer::LyingPeer(int fd, hypercore::Feed* feed, bool encrypted)
    : fd_(fd), feed_(feed), encrypted_(encrypted), nonce_(FixedNonce()),
      codec_(CodecOptions(encrypted, nonce_), env::RealClock()) {}

LyingPeer::~LyingPeer() { ::close(fd_); }

absl::Status LyingPeer::Flush() {
  while (!out_.empty()) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    sent_ += static_cast<uint64_t>(n);
    out_.erase(0, static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status LyingPeer::RunUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string buf(1 << 16, '\0');
  while (true) {
    EM_RETURN_IF_ERROR(Flush());
    if (done()) return absl::OkStatus();
    if (absl::Now() > deadline) return absl::DeadlineExceededError("lying peer: timed out");
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 10) <= 0) {
      EM_RETURN_IF_ERROR(codec_.Poll(&out_));  // keep-alives, so silence alone never ends it
      continue;
    }
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n == 0) return absl::UnavailableError("the replicator closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    }
    EM_RETURN_IF_ERROR(
        codec_.Receive(buf.data(), static_cast<size_t>(n), [this](const wire::Frame& f) { return Handle(f); }));
  }
}

absl::Status LyingPeer::Handle(const wire::Frame& frame) {
  if (frame.kind != wire::FrameKind::kMessage) return absl::OkStatus();
  switch (static_cast<MessageType>(frame.type)) {
    case MessageType::kFeed: {
      remote_channel_open_ = true;
      if (announced_) return absl::OkStatus();
      announced_ = true;
      v1::Have have;  // "I have every block"
      have.set_start(0);
      have.set_length(feed_->length());
      return codec_.Write(0, have, &out_);
    }
    case MessageType::kRequest: {
      EM_ASSIGN_OR_RETURN(v1::Request request, wire::DecodeMessage<v1::Request>(frame.body));
      held_.push_back(request);
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status LyingPeer::Tell(Lie lie) {
  if (lie == Lie::kGarbage) return SendGarbage();
  if (held_.empty()) return absl::FailedPreconditionError("no request to answer");
  const v1::Request request = held_.front();
  held_.pop_front();
  EM_ASSIGN_OR_RETURN(hypercore::Proof proof, feed_->ProofFor(request.index(), request.nodes(), false, &remote_tree_));
  EM_ASSIGN_OR_RETURN(std::string value, feed_->Get(request.index()));
  switch (lie) {
    case Lie::kForgedSignature:
      if (!proof.signature.has_value()) return absl::FailedPreconditionError("this proof carries no signature");
      (*proof.signature)[7] ^= 0x10;
      break;
    case Lie::kWrongHash:
      if (proof.nodes.empty()) return absl::FailedPreconditionError("this proof carries no nodes");
      proof.nodes.back().hash[3] ^= 0x01;
      break;
    case Lie::kWrongData:
      value[value.size() / 2] ^= 0x20;
      break;
    case Lie::kGarbage:
      break;
  }
  v1::Data data;
  data.set_index(request.index());
  data.set_value(value);
  for (const hypercore::Node& node : proof.nodes) {
    v1::Data::Node* n = data.add_nodes();
    n->set_index(node.index);
    n->set_hash(std::string(crypto::AsView(node.hash)));
    n->set_size(node.size);
  }
  if (proof.signature.has_value()) data.set_signature(std::string(crypto::AsView(*proof.signature)));
  EM_RETURN_IF_ERROR(codec_.Write(0, data, &out_));
  return Flush();
}

// 64 KiB of pseudo-random bytes where the next frame should start. Encrypted with our keystream at the
// right offset, so the replicator's parser sees exactly these bytes (and every run is the same).
absl::Status LyingPeer::SendGarbage() {
  EM_RETURN_IF_ERROR(Flush());
  std::string garbage(64 << 10, '\0');
  uint64_t x = 0x243F6A8885A308D3ull;
  for (char& c : garbage) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x >> 24);
  }
  if (encrypted_) {
    crypto::StreamCipher cipher(feed_->key(), nonce_);
    std::string skip(sent_ - clear_bytes_, '\0');
    cipher.Xor(&skip);
    cipher.Xor(&garbage);
  }
  out_ = garbage;
  return Flush();
}

}  // namespace evermirror::testing
