// libFuzzer target for the v6 wire reader: framing, decryption, the key hand-over, typed message
// decoding and bitfield-rle. Input: a recorded stream (testing/recorded_stream.h), whose flag byte
// also picks the key timing (bits 1-2), a chunking seed (bits 3-6) and, with bit 7, that the
// bytes after the first frame are plaintext for the harness to encrypt (so mutations of an
// encrypted stream reach the parser as structure, not noise). Checks, besides "no crash, no hang,
// no huge allocation": chunking never changes the frames or the final status, and everything that
// decodes re-encodes to something that decodes to the same.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shared/wire/bitfield_rle.h"
#include "shared/wire/messages.h"
#include "shared/wire/testing/recorded_stream.h"

namespace evermirror::wire {
namespace {

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "wire_fuzzer: property violated: %s\n", what);
  std::abort();
}

template <typename M>
void RoundTrip(std::string_view body) {
  M message;
  if (!DecodeMessage(body, &message).ok()) return;
  const std::string bytes = message.SerializeAsString();
  M again;
  Check(DecodeMessage(bytes, &again).ok(), "a valid message re-decodes");
  Check(again.SerializeAsString() == bytes, "message round trip is stable");
  if constexpr (std::is_same_v<M, v1::Have>) {
    if (!message.has_bitfield()) return;
    absl::StatusOr<std::string> bits = DecodeBitfieldRle(message.bitfield(), 1 << 20);
    if (!bits.ok()) return;
    std::string trimmed = *bits;
    while (!trimmed.empty() && trimmed.back() == '\0') trimmed.pop_back();
    absl::StatusOr<std::string> again_bits = DecodeBitfieldRle(EncodeBitfieldRle(*bits), 1 << 20);
    Check(again_bits.ok() && *again_bits == trimmed, "bitfield-rle round trip");
  }
}

void RoundTripBody(const testing::OwnedFrame& frame) {
  if (frame.kind != FrameKind::kMessage) return;
  switch (static_cast<MessageType>(frame.type)) {
    case MessageType::kFeed: return RoundTrip<v1::Feed>(frame.body);
    case MessageType::kHandshake: return RoundTrip<v1::Handshake>(frame.body);
    case MessageType::kInfo: return RoundTrip<v1::Info>(frame.body);
    case MessageType::kHave: return RoundTrip<v1::Have>(frame.body);
    case MessageType::kUnhave: return RoundTrip<v1::Unhave>(frame.body);
    case MessageType::kWant: return RoundTrip<v1::Want>(frame.body);
    case MessageType::kUnwant: return RoundTrip<v1::Unwant>(frame.body);
    case MessageType::kRequest: return RoundTrip<v1::Request>(frame.body);
    case MessageType::kCancel: return RoundTrip<v1::Cancel>(frame.body);
    case MessageType::kData: return RoundTrip<v1::Data>(frame.body);
    case MessageType::kExtension: (void)DecodeExtension(frame.body); return;
  }
}

bool SameFrames(const testing::DecodedStream& a, const testing::DecodedStream& b, size_t from) {
  if (a.frames.size() != b.frames.size()) return false;
  for (size_t i = from; i < a.frames.size(); ++i) {
    if (a.frames[i].payload != b.frames[i].payload) return false;
  }
  return true;
}

// A stream that decoded cleanly re-encodes (where every message is valid) to one that decodes to
// the same frames, the first Feed aside (re-encoding derives it from the key).
void CheckReencoding(const testing::RecordedStream& stream, const testing::DecodedStream& decoded) {
  absl::StatusOr<std::string> bytes = testing::ReencodeStream(stream, decoded);
  if (!bytes.ok()) return;
  testing::RecordedStream again = stream;
  again.bytes = *bytes;
  const testing::DecodedStream redecoded = testing::DecodeStream(again);
  if (!redecoded.status.ok()) return;  // e.g. a plain stream whose first Feed named another key
  for (size_t i = 1; i < decoded.frames.size() && i < redecoded.frames.size(); ++i) {
    RoundTripBody(redecoded.frames[i]);
  }
  Check(redecoded.frames.size() == decoded.frames.size(), "re-encoded stream has the same frames");
}

// Bit 7: encrypt what follows the first frame with the key and that Feed's nonce.
void EncryptAfterFirstFrame(testing::RecordedStream* stream) {
  FrameDecoder decoder;
  std::string_view in = stream->bytes;
  Frame frame;
  absl::StatusOr<bool> got = decoder.Next(&in, &frame);
  if (!got.ok() || !*got || frame.kind != FrameKind::kMessage || frame.type != 0) return;
  absl::StatusOr<v1::Feed> feed = DecodeMessage<v1::Feed>(frame.body);
  if (!feed.ok() || !feed->has_nonce()) return;
  crypto::StreamCipher cipher(stream->key, crypto::ToArray<crypto::kNonceSize>(feed->nonce()));
  const size_t offset = stream->bytes.size() - in.size();
  cipher.Xor(reinterpret_cast<uint8_t*>(stream->bytes.data() + offset), in.size());
}

}  // namespace
}  // namespace evermirror::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evermirror::wire;
  absl::StatusOr<testing::RecordedStream> stream =
      testing::ParseRecordedStream(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!stream.ok()) return 0;
  const uint8_t flags = data[0];
  if ((flags & 0x80) && stream->encrypted) EncryptAfterFirstFrame(&*stream);
  testing::DecodeOptions options;
  options.key_timing = static_cast<testing::KeyTiming>(((flags >> 1) & 3) % 3);
  const testing::DecodedStream whole = testing::DecodeStream(*stream, options);
  options.chunk_seed = 1 + ((flags >> 3) & 15);
  options.chunk_max = 1 + ((flags >> 3) & 15) * 5;
  const testing::DecodedStream chunked = testing::DecodeStream(*stream, options);
  Check(whole.status == chunked.status, "chunking does not change the status");
  Check(SameFrames(whole, chunked, 0), "chunking does not change the frames");
  for (const testing::OwnedFrame& frame : whole.frames) RoundTripBody(frame);
  if (whole.status.ok() && whole.at_frame_boundary) CheckReencoding(*stream, whole);
  return 0;
}
