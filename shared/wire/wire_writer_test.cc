#include "shared/wire/wire_writer.h"

#include <string>

#include "gtest/gtest.h"
#include "shared/base/bytes.h"
#include "shared/wire/frame.h"

namespace evermirror::wire {
namespace {

crypto::PublicKey TestKey() { return crypto::KeyPairFromSeed({7}).public_key; }

crypto::Nonce TestNonce() {
  crypto::Nonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(i + 1);
  return nonce;
}

WireWriterOptions Options(bool encrypted, std::optional<crypto::Nonce> nonce) {
  WireWriterOptions options;
  options.encrypted = encrypted;
  options.nonce = nonce;
  return options;
}

TEST(WireWriterTest, FirstFeedIsClearWithNonceAndTheRestIsKeystream) {
  WireWriter writer(Options(true, TestNonce()));
  std::string out;
  ASSERT_TRUE(writer.WriteFeed(0, TestKey(), &out).ok());
  v1::Feed feed;
  feed.set_discovery_key(crypto::AsString(crypto::DiscoveryKey(TestKey())));
  feed.set_nonce(crypto::AsString(TestNonce()));
  std::string want;
  AppendFramePrefix(0, 0, feed.ByteSizeLong(), &want);
  want += feed.SerializeAsString();
  EXPECT_EQ(out, want);
  EXPECT_EQ(writer.bytes_written(), out.size());

  // Everything after is the plain frame XORed with one keystream starting at offset 0.
  const size_t start = out.size();
  v1::Info info;
  info.set_uploading(true);
  info.set_downloading(false);
  ASSERT_TRUE(writer.Write(0, info, &out).ok());
  ASSERT_TRUE(writer.WriteKeepAlive(&out).ok());
  std::string plain;
  AppendFramePrefix(0, 2, info.ByteSizeLong(), &plain);
  plain += info.SerializeAsString();
  plain.push_back('\0');
  crypto::StreamCipher cipher(TestKey(), TestNonce());
  cipher.Xor(&plain);
  EXPECT_EQ(out.substr(start), plain);
}

TEST(WireWriterTest, PlainStreamHasNoNonceAndNoKeystream) {
  WireWriter writer(Options(false, std::nullopt));
  std::string out;
  ASSERT_TRUE(writer.WriteFeed(0, TestKey(), &out).ok());
  v1::Feed feed;
  feed.set_discovery_key(crypto::AsString(crypto::DiscoveryKey(TestKey())));
  EXPECT_EQ(out.substr(2), feed.SerializeAsString());
  const size_t start = out.size();
  ASSERT_TRUE(writer.WriteExtension(3, 1, "hi", &out).ok());
  EXPECT_EQ(out.substr(start), std::string("\x04\x3f\x01hi", 5));
}

TEST(WireWriterTest, NothingBeforeTheFirstFeed) {
  WireWriter writer;
  std::string out;
  EXPECT_EQ(writer.Write(0, v1::Info(), &out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer.WriteKeepAlive(&out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer.WriteExtension(0, 0, "x", &out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer.WriteRawFrame("x", &out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(out.empty());
}

TEST(WireWriterTest, RejectsBadMessagesWithoutWritingOrAdvancingTheKeystream) {
  WireWriter writer(Options(true, TestNonce()));
  std::string out;
  ASSERT_TRUE(writer.WriteFeed(0, TestKey(), &out).ok());
  const std::string before = out;
  v1::Feed bad;
  bad.set_discovery_key("short");
  EXPECT_EQ(writer.Write(1, bad, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.Write(kDefaultMaxChannels, v1::Info(), &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.WriteFeed(kDefaultMaxChannels, TestKey(), &out).code(), absl::StatusCode::kInvalidArgument);
  v1::Data huge;
  huge.set_index(0);
  huge.set_value(std::string(kMaxMessageSize, 'x'));
  EXPECT_EQ(writer.Write(0, huge, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.WriteRawFrame(std::string(kMaxMessageSize + 1, 'x'), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, before);
  // The keystream did not move: the next frame still starts at offset 0.
  ASSERT_TRUE(writer.WriteKeepAlive(&out).ok());
  std::string ping(1, '\0');
  crypto::StreamCipher cipher(TestKey(), TestNonce());
  cipher.Xor(&ping);
  EXPECT_EQ(out.substr(before.size()), ping);
}

TEST(WireWriterTest, LaterFeedsAreEncryptedAndCarryNoNonce) {
  WireWriter writer(Options(true, TestNonce()));
  std::string out;
  ASSERT_TRUE(writer.WriteFeed(0, TestKey(), &out).ok());
  const size_t start = out.size();
  const crypto::PublicKey second = crypto::KeyPairFromSeed({8}).public_key;
  ASSERT_TRUE(writer.WriteFeed(1, second, &out).ok());
  std::string tail = out.substr(start);
  crypto::StreamCipher cipher(TestKey(), TestNonce());
  cipher.Xor(&tail);
  v1::Feed feed;
  feed.set_discovery_key(crypto::AsString(crypto::DiscoveryKey(second)));
  std::string want;
  AppendFramePrefix(1, 0, feed.ByteSizeLong(), &want);
  want += feed.SerializeAsString();
  EXPECT_EQ(tail, want);
}

TEST(WireWriterTest, RandomNonceByDefault) {
  WireWriter a, b;
  EXPECT_NE(a.nonce(), b.nonce());
}

}  // namespace
}  // namespace evermirror::wire
