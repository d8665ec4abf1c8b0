#include "shared/wire/wire_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "shared/base/hex.h"
#include "shared/base/status_macros.h"
#include "shared/wire/messages.h"

namespace evermirror::wire {

WireReader::WireReader(WireReaderOptions options)
    : state_(options.encrypted ? State::kClear : State::kPlain),
      key_(options.key),
      decoder_(options.frames) {}

WireReader::~WireReader() = default;

absl::Status WireReader::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
  return status_;
}

absl::Status WireReader::Consume(char* data, size_t n, FrameHandler on_frame) {
  if (!status_.ok()) return status_;
  bytes_consumed_ += n;
  if (state_ == State::kNeedKey) {
    if (n > kMaxKeptBytes - stash_.size()) {
      return Fail(absl::ResourceExhaustedError("too many bytes received while the stream key is unknown"));
    }
    stash_.append(data, n);
    return absl::OkStatus();
  }
  // Bytes kept while the key was missing come first.
  EM_RETURN_IF_ERROR(Resume(on_frame));
  return Process(data, n, on_frame);
}

absl::Status WireReader::Resume(FrameHandler on_frame) {
  if (!status_.ok()) return status_;
  if (state_ == State::kNeedKey || stash_.empty()) return absl::OkStatus();
  std::string kept;
  kept.swap(stash_);
  return Process(kept.data(), kept.size(), on_frame);
}

absl::Status WireReader::Process(char* data, size_t n, FrameHandler on_frame) {
  // Ciphertext is decrypted in bulk, in place; only the remote's first Feed is read in clear.
  bool decrypted = state_ == State::kDecrypting;
  if (decrypted) cipher_->Xor(reinterpret_cast<uint8_t*>(data), n);
  std::string_view in(data, n);
  Frame frame;
  while (true) {
    absl::StatusOr<bool> got = decoder_.Next(&in, &frame);
    if (!got.ok()) return Fail(got.status());
    if (!*got) return absl::OkStatus();
    if (frame.kind == FrameKind::kMessage && remote_discovery_key_.empty()) {
      EM_RETURN_IF_ERROR(Fail(OnFirstFeed(frame)));
    }
    if (absl::Status s = on_frame(frame); !s.ok()) return Fail(std::move(s));
    if (!status_.ok()) return status_;  // SetKey failed inside the handler
    if (state_ == State::kNeedKey) {
      stash_.assign(in.data(), in.size());
      return absl::OkStatus();
    }
    if (state_ == State::kDecrypting && !decrypted) {
      char* rest = data + (in.data() - data);
      cipher_->Xor(reinterpret_cast<uint8_t*>(rest), in.size());
      decrypted = true;
    }
  }
}

absl::Status WireReader::OnFirstFeed(const Frame& frame) {
  if (frame.type != static_cast<uint8_t>(MessageType::kFeed)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "remote's first message is ", std::string(MessageTypeName(frame.type)), ", not a Feed"));
  }
  v1::Feed feed;
  if (absl::Status s = DecodeMessage(frame.body, &feed); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("remote sent an invalid first Feed: ", s.message()));
  }
  remote_discovery_key_ = feed.discovery_key();
  if (state_ == State::kPlain) return absl::OkStatus();
  if (!feed.has_nonce()) {
    return absl::InvalidArgumentError("remote's first Feed has no nonce (is its encryption off?)");
  }
  remote_nonce_ = crypto::ToArray<crypto::kNonceSize>(feed.nonce());
  if (key_) return StartCipher();
  state_ = State::kNeedKey;
  return absl::OkStatus();
}

absl::Status WireReader::StartCipher() {
  const crypto::Hash discovery_key = crypto::DiscoveryKey(*key_);
  if (crypto::AsView(discovery_key) != remote_discovery_key_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "remote's first feed (discovery key ", ToHex(remote_discovery_key_),
        ") is not this stream's first feed (", ToHex(crypto::AsView(discovery_key)), ")"));
  }
  cipher_ = std::make_unique<crypto::StreamCipher>(*key_, *remote_nonce_);
  state_ = State::kDecrypting;
  return absl::OkStatus();
}

absl::Status WireReader::SetKey(const crypto::PublicKey& key) {
  if (!status_.ok()) return status_;
  if (key_) {
    if (*key_ == key) return absl::OkStatus();
    return absl::FailedPreconditionError("the stream key is already set to another key");
  }
  key_ = key;
  if (state_ == State::kNeedKey) return Fail(StartCipher());
  return absl::OkStatus();
}

}  // namespace evermirror::wire
