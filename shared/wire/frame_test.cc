#include "shared/wire/frame.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/base/bytes.h"
#include "shared/base/hex.h"

namespace evermirror::wire {
namespace {

std::string Hex(std::string_view hex) { return *FromHex(hex); }

std::string MakeFrame(uint64_t channel, uint8_t type, std::string_view body) {
  std::string out;
  AppendFramePrefix(channel, type, body.size(), &out);
  out.append(body);
  return out;
}

struct Seen {
  FrameKind kind;
  uint64_t channel;
  uint8_t type;
  std::string body;
  bool operator==(const Seen&) const = default;
};

// Decodes `bytes` handing them over `chunk` bytes at a time.
absl::StatusOr<std::vector<Seen>> DecodeAll(std::string_view bytes, size_t chunk, FrameDecoder* decoder) {
  std::vector<Seen> seen;
  for (size_t pos = 0; pos < bytes.size(); pos += chunk) {
    std::string_view in = bytes.substr(pos, chunk);
    Frame frame;
    while (true) {
      absl::StatusOr<bool> got = decoder->Next(&in, &frame);
      if (!got.ok()) return got.status();
      if (!*got) break;
      seen.push_back({frame.kind, frame.channel, frame.type, std::string(frame.body)});
    }
  }
  return seen;
}

TEST(FrameDecoderTest, DecodesKeepAliveHeaderOnlyAndMessages) {
  const std::string bytes = std::string("\x00", 1) + Hex("0123") + MakeFrame(0, 3, Hex("0800")) +
                            MakeFrame(20, 9, "body") + MakeFrame(20, 12, "");
  FrameDecoder decoder;
  absl::StatusOr<std::vector<Seen>> seen = DecodeAll(bytes, bytes.size(), &decoder);
  ASSERT_TRUE(seen.ok()) << seen.status();
  const std::vector<Seen> want = {
      {FrameKind::kKeepAlive, 0, 0, ""},     {FrameKind::kHeaderOnly, 2, 3, ""},
      {FrameKind::kMessage, 0, 3, Hex("0800")}, {FrameKind::kMessage, 20, 9, "body"},
      {FrameKind::kMessage, 20, 12, ""},  // a 2-byte header: a message, body empty
  };
  EXPECT_EQ(*seen, want);
  EXPECT_TRUE(decoder.at_frame_boundary());
}

TEST(FrameDecoderTest, AnyChunkingGivesTheSameFrames) {
  std::string bytes;
  for (int i = 0; i < 20; ++i) bytes += MakeFrame(i % 16, i % 10, std::string(i * 37, static_cast<char>('a' + i)));
  FrameDecoder whole;
  const std::vector<Seen> want = *DecodeAll(bytes, bytes.size(), &whole);
  ASSERT_EQ(want.size(), 20u);
  for (size_t chunk : {1, 2, 3, 7, 64, 1000}) {
    FrameDecoder decoder;
    EXPECT_EQ(*DecodeAll(bytes, chunk, &decoder), want) << "chunk " << chunk;
  }
}

TEST(FrameDecoderTest, ViewsPointIntoTheInputWhenTheFrameIsWhole) {
  const std::string bytes = MakeFrame(0, 2, "abc");
  FrameDecoder decoder;
  std::string_view in = bytes;
  Frame frame;
  ASSERT_TRUE(*decoder.Next(&in, &frame));
  EXPECT_EQ(frame.body.data(), bytes.data() + 2);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameDecoderTest, AcceptsExactly8MiBAndRejectsOneMore) {
  std::string ok;
  AppendVarint(&ok, kMaxMessageSize);
  FrameDecoder decoder;
  std::string_view in = ok;
  Frame frame;
  EXPECT_FALSE(*decoder.Next(&in, &frame));
  EXPECT_FALSE(decoder.at_frame_boundary());

  std::string big;
  AppendVarint(&big, kMaxMessageSize + 1);
  big += "xxxx";
  FrameDecoder rejecting;
  in = big;
  absl::StatusOr<bool> got = rejecting.Next(&in, &frame);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(rejecting.buffered_bytes(), 0u);  // nothing of the announced size was allocated
  // Sticky: later input gets the same error.
  std::string_view more = "\x00";
  EXPECT_EQ(rejecting.Next(&more, &frame).status(), got.status());
}

TEST(FrameDecoderTest, BuffersOnlyWhatArrived) {
  std::string bytes;
  AppendVarint(&bytes, kMaxMessageSize);
  bytes += std::string(100, 'x');
  FrameDecoder decoder;
  std::string_view in = bytes;
  Frame frame;
  EXPECT_FALSE(*decoder.Next(&in, &frame));
  EXPECT_EQ(decoder.buffered_bytes(), 100u);
}

TEST(FrameDecoderTest, LengthVarintOfFiveBytesIsTooBigLikeTheReference) {
  // 0x80 0x80 0x80 0x80 0x00 encodes 0, but the reference gives up after 4 bytes.
  FrameDecoder decoder;
  std::string bytes = Hex("8080808000");
  std::string_view in = bytes;
  Frame frame;
  EXPECT_EQ(decoder.Next(&in, &frame).status().code(), absl::StatusCode::kResourceExhausted);
  // A 4-byte varint within the limit is fine.
  FrameDecoder four;
  bytes = Hex("80808000");
  in = bytes;
  ASSERT_TRUE(*four.Next(&in, &frame));
  EXPECT_EQ(frame.kind, FrameKind::kKeepAlive);
}

TEST(FrameDecoderTest, RejectsMalformedHeaderVarint) {
  FrameDecoder decoder;
  const std::string bytes = Hex("028080");
  std::string_view in = bytes;
  Frame frame;
  EXPECT_EQ(decoder.Next(&in, &frame).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FrameDecoderTest, RejectsChannelsBeyondTheLimit) {
  const std::string ok = MakeFrame(255, 1, "x");
  const std::string bad = MakeFrame(256, 1, "x");
  FrameDecoder decoder;
  std::string_view in = ok;
  Frame frame;
  ASSERT_TRUE(*decoder.Next(&in, &frame));
  EXPECT_EQ(frame.channel, 255u);
  in = bad;
  EXPECT_EQ(decoder.Next(&in, &frame).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(FrameDecoderTest, HonoursASmallerMessageLimit) {
  FrameDecoder decoder(FrameDecoderOptions{.max_message_size = 10, .max_channels = 4});
  const std::string bytes = MakeFrame(0, 9, std::string(10, 'x'));
  std::string_view in = bytes;
  Frame frame;
  EXPECT_EQ(decoder.Next(&in, &frame).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(FramePrefixTest, SizeMatchesWhatIsAppended) {
  for (uint64_t channel : {0, 7, 8, 255, 1000}) {
    for (size_t body : {0, 1, 125, 126, 127, 128, 16383, 16384, 1 << 20}) {
      std::string out;
      AppendFramePrefix(channel, 9, body, &out);
      EXPECT_EQ(out.size(), FramePrefixSize(channel, 9, body));
      std::string_view in = out;
      EXPECT_EQ(*ConsumeVarint(&in), VarintLength(FrameHeader(channel, 9)) + body);
      EXPECT_EQ(*ConsumeVarint(&in), FrameHeader(channel, 9));
    }
  }
}

}  // namespace
}  // namespace evermirror::wire
