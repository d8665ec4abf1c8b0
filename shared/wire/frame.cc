#include "shared/wire/frame.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "shared/base/bytes.h"

namespace evermirror::wire {
namespace {

// A partial payload starts with room for this much; it grows only with bytes that arrive.
constexpr size_t kInitialPendingReserve = 64 * 1024;
// A pending buffer grown beyond this by one large frame is released afterwards.
constexpr size_t kMaxRetainedPending = 1 << 20;

}  // namespace

FrameDecoder::FrameDecoder(FrameDecoderOptions options) : options_(options) {}

absl::Status FrameDecoder::Fail(absl::Status status) {
  status_ = std::move(status);
  return status_;
}

void FrameDecoder::ReleasePending() {
  pending_in_use_ = false;
  if (pending_.capacity() > kMaxRetainedPending) {
    std::string().swap(pending_);
  } else {
    pending_.clear();
  }
}

absl::StatusOr<bool> FrameDecoder::ParseLength(std::string_view* input) {
  while (!input->empty()) {
    const uint8_t b = static_cast<uint8_t>(input->front());
    input->remove_prefix(1);
    length_value_ |= static_cast<uint64_t>(b & 0x7f) << (7 * length_bytes_);
    ++length_bytes_;
    if (b & 0x80) {
      // The reference keeps a 4-byte length buffer and gives up when it fills.
      if (length_bytes_ >= kMaxLengthVarintBytes) {
        return Fail(absl::ResourceExhaustedError(
            "frame length varint longer than 4 bytes (message larger than 8 MiB)"));
      }
      continue;
    }
    const uint64_t len = length_value_;
    length_value_ = 0;
    length_bytes_ = 0;
    if (len > options_.max_message_size) {
      return Fail(absl::ResourceExhaustedError(absl::StrCat(
          "frame of ", len, " bytes exceeds the ", options_.max_message_size, "-byte limit")));
    }
    missing_ = len;
    return true;
  }
  return false;
}

absl::StatusOr<bool> FrameDecoder::Next(std::string_view* input, Frame* frame) {
  if (!status_.ok()) return status_;
  if (pending_in_use_) ReleasePending();
  while (!input->empty()) {
    if (!in_body_) {
      absl::StatusOr<bool> done = ParseLength(input);
      if (!done.ok()) return done.status();
      if (!*done) return false;
      if (missing_ == 0) {
        *frame = Frame{};
        return true;
      }
      in_body_ = true;
      continue;
    }
    // Zero-copy when the whole payload is in this chunk and nothing is buffered.
    if (pending_.empty() && input->size() >= missing_) {
      const std::string_view payload = input->substr(0, missing_);
      input->remove_prefix(missing_);
      in_body_ = false;
      return Emit(payload, frame);
    }
    if (pending_.empty()) pending_.reserve(std::min<uint64_t>(missing_, kInitialPendingReserve));
    const size_t take = std::min<uint64_t>(missing_, input->size());
    pending_.append(input->data(), take);
    input->remove_prefix(take);
    missing_ -= take;
    if (missing_ == 0) {
      in_body_ = false;
      pending_in_use_ = true;
      return Emit(pending_, frame);
    }
  }
  return false;
}

absl::StatusOr<bool> FrameDecoder::Emit(std::string_view payload, Frame* frame) {
  absl::StatusOr<Frame> parsed = ParseFramePayload(payload, options_.max_channels);
  if (!parsed.ok()) return Fail(parsed.status());
  *frame = *parsed;
  return true;
}

absl::StatusOr<Frame> ParseFramePayload(std::string_view payload, uint64_t max_channels) {
  Frame frame;
  frame.payload = payload;
  if (payload.empty()) return frame;
  if (payload.size() == 1) {
    // The reference ignores frames shorter than 2 bytes without decoding their header.
    frame.kind = FrameKind::kHeaderOnly;
    const uint8_t b = static_cast<uint8_t>(payload[0]);
    if (b < 0x80) {
      frame.channel = b >> 4;
      frame.type = b & 15;
    }
    return frame;
  }
  std::string_view rest = payload;
  const std::optional<uint64_t> header = ConsumeVarint(&rest);
  if (!header) return absl::InvalidArgumentError("malformed frame header varint");
  frame.kind = FrameKind::kMessage;
  frame.channel = *header >> 4;
  frame.type = static_cast<uint8_t>(*header & 15);
  frame.body = rest;
  if (frame.channel >= max_channels) {
    return absl::ResourceExhaustedError(
        absl::StrCat("channel ", frame.channel, " is beyond the limit of ", max_channels, " feeds"));
  }
  return frame;
}

size_t FramePrefixSize(uint64_t channel, uint8_t type, size_t body_size) {
  const size_t header_size = VarintLength(FrameHeader(channel, type));
  return VarintLength(header_size + body_size) + header_size;
}

void AppendFramePrefix(uint64_t channel, uint8_t type, size_t body_size, std::string* out) {
  const uint64_t header = FrameHeader(channel, type);
  AppendVarint(out, VarintLength(header) + body_size);
  AppendVarint(out, header);
}

}  // namespace evermirror::wire
