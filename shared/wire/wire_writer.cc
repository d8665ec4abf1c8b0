#include "shared/wire/wire_writer.h"

#include "absl/strings/str_cat.h"
#include "shared/base/bytes.h"
#include "shared/base/status_macros.h"

namespace evermirror::wire {

WireWriter::WireWriter(WireWriterOptions options)
    : options_(options), nonce_(options.nonce ? *options.nonce : crypto::RandomNonce()) {}

WireWriter::~WireWriter() = default;

absl::Status WireWriter::CheckFrame(uint64_t channel, size_t body_size) const {
  if (channel >= options_.max_channels) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel ", channel, " is beyond the limit of ", options_.max_channels, " feeds"));
  }
  const uint64_t len = VarintLength(FrameHeader(channel, 0)) + body_size;
  if (len > options_.max_message_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("message of ", len, " bytes exceeds the ", options_.max_message_size, "-byte limit"));
  }
  return absl::OkStatus();
}

void WireWriter::Seal(std::string* out, size_t start) {
  const size_t n = out->size() - start;
  if (cipher_) cipher_->Xor(reinterpret_cast<uint8_t*>(out->data() + start), n);
  bytes_written_ += n;
}

absl::Status WireWriter::WriteFeed(uint64_t channel, const crypto::PublicKey& key, std::string* out) {
  v1::Feed feed;
  const crypto::Hash discovery_key = crypto::DiscoveryKey(key);
  feed.set_discovery_key(crypto::AsString(discovery_key));
  if (started_) return Write(channel, feed, out);
  if (options_.encrypted) feed.set_nonce(crypto::AsString(nonce_));
  const size_t start = out->size();
  EM_RETURN_IF_ERROR(Validate(feed));
  EM_RETURN_IF_ERROR(AppendProto(channel, static_cast<uint8_t>(MessageType::kFeed), feed, out));
  bytes_written_ += out->size() - start;  // the first Feed is sent in clear
  started_ = true;
  if (options_.encrypted) cipher_ = std::make_unique<crypto::StreamCipher>(key, nonce_);
  return absl::OkStatus();
}

absl::Status WireWriter::AppendProto(uint64_t channel, uint8_t type,
                                     const google::protobuf::MessageLite& message, std::string* out) const {
  const size_t body_size = message.ByteSizeLong();
  EM_RETURN_IF_ERROR(CheckFrame(channel, body_size));
  AppendFramePrefix(channel, type, body_size, out);
  // Serialize straight into the output: no intermediate copy of a block's bytes.
  const size_t body_start = out->size();
  out->resize(body_start + body_size);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + body_start));
  return absl::OkStatus();
}

absl::Status WireWriter::WriteProto(uint64_t channel, uint8_t type, const google::protobuf::MessageLite& message,
                                    std::string* out) {
  if (!started_) return absl::FailedPreconditionError("no Feed written yet: call WriteFeed first");
  const size_t start = out->size();
  EM_RETURN_IF_ERROR(AppendProto(channel, type, message, out));
  Seal(out, start);
  return absl::OkStatus();
}

absl::Status WireWriter::WriteExtension(uint64_t channel, uint64_t index, std::string_view payload,
                                        std::string* out) {
  if (!started_) return absl::FailedPreconditionError("no Feed written yet: call WriteFeed first");
  const size_t body_size = VarintLength(index) + payload.size();
  EM_RETURN_IF_ERROR(CheckFrame(channel, body_size));
  const size_t start = out->size();
  AppendFramePrefix(channel, kExtensionType, body_size, out);
  AppendVarint(out, index);
  out->append(payload.data(), payload.size());
  Seal(out, start);
  return absl::OkStatus();
}

absl::Status WireWriter::WriteKeepAlive(std::string* out) {
  if (!started_) return absl::FailedPreconditionError("no Feed written yet: nothing to keep alive");
  const size_t start = out->size();
  out->push_back('\0');
  Seal(out, start);
  return absl::OkStatus();
}

absl::Status WireWriter::WriteRawFrame(std::string_view payload, std::string* out) {
  if (!started_) return absl::FailedPreconditionError("no Feed written yet: call WriteFeed first");
  if (payload.size() > options_.max_message_size) {
    return absl::InvalidArgumentError(absl::StrCat("frame of ", payload.size(), " bytes exceeds the limit"));
  }
  const size_t start = out->size();
  AppendVarint(out, payload.size());
  out->append(payload.data(), payload.size());
  Seal(out, start);
  return absl::OkStatus();
}

}  // namespace evermirror::wire
