#include "shared/wire/messages.h"

#include <string>

#include "gtest/gtest.h"
#include "shared/base/hex.h"

namespace evermirror::wire {
namespace {

std::string Hex(std::string_view hex) { return *FromHex(hex); }

v1::Feed ValidFeed() {
  v1::Feed feed;
  feed.set_discovery_key(std::string(32, 'd'));
  feed.set_nonce(std::string(24, 'n'));
  return feed;
}

TEST(MessagesTest, SerializesLikeTheReference) {
  // Bytes seen from hypercore 7.7.1: Have{start 0, length 1048576, bitfield 02 f8}.
  v1::Have have;
  have.set_start(0);
  have.set_length(1048576);
  have.set_bitfield(Hex("02f8"));
  EXPECT_EQ(ToHex(have.SerializeAsString()), "0800108080401a0202f8");
  // Request{index 3, nodes 0} as hypercore sends it (bytes and hash set too).
  v1::Request request;
  request.set_index(3);
  request.set_bytes(0);
  request.set_hash(false);
  request.set_nodes(0);
  EXPECT_EQ(ToHex(request.SerializeAsString()), "08031000180020" "00");
}

TEST(MessagesTest, HaveLengthDefaultsToOne) {
  absl::StatusOr<v1::Have> have = DecodeMessage<v1::Have>(Hex("0805"));
  ASSERT_TRUE(have.ok()) << have.status();
  EXPECT_EQ(have->start(), 5u);
  EXPECT_FALSE(have->has_length());
  EXPECT_EQ(have->length(), 1u);
}

TEST(MessagesTest, MissingRequiredFieldIsInvalid) {
  EXPECT_EQ(DecodeMessage<v1::Have>(Hex("1001")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeMessage<v1::Feed>(Hex("1203616263")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeMessage<v1::Data>("").status().code(), absl::StatusCode::kInvalidArgument);
  // A message with no required field decodes from nothing.
  EXPECT_TRUE(DecodeMessage<v1::Info>("").ok());
}

TEST(MessagesTest, MalformedProtobufIsInvalid) {
  EXPECT_EQ(DecodeMessage<v1::Request>(Hex("08ffffff")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeMessage<v1::Data>(Hex("0801120a61")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesTest, FeedSizesAreChecked) {
  EXPECT_TRUE(Validate(ValidFeed()).ok());
  v1::Feed feed = ValidFeed();
  feed.clear_nonce();
  EXPECT_TRUE(Validate(feed).ok());
  feed.set_discovery_key(std::string(31, 'd'));
  EXPECT_EQ(Validate(feed).code(), absl::StatusCode::kInvalidArgument);
  feed = ValidFeed();
  feed.set_nonce(std::string(23, 'n'));
  EXPECT_EQ(Validate(feed).code(), absl::StatusCode::kInvalidArgument);
  // Decoding validates too.
  EXPECT_EQ(DecodeMessage<v1::Feed>(feed.SerializeAsString()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesTest, HandshakeBounds) {
  v1::Handshake handshake;
  handshake.set_id(std::string(32, 'i'));
  handshake.add_extensions("ext-a");
  EXPECT_TRUE(Validate(handshake).ok());
  handshake.set_id(std::string(65, 'i'));
  EXPECT_EQ(Validate(handshake).code(), absl::StatusCode::kInvalidArgument);
  handshake.set_id("");
  for (int i = 0; i < 128; ++i) handshake.add_extensions("x");
  EXPECT_EQ(Validate(handshake).code(), absl::StatusCode::kInvalidArgument);
  handshake.clear_extensions();
  handshake.add_extensions(std::string(257, 'x'));
  EXPECT_EQ(Validate(handshake).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesTest, IndicesMustBeSafeIntegers) {
  v1::Request request;
  request.set_index(kMaxSafeInteger);
  EXPECT_TRUE(Validate(request).ok());
  request.set_index(kMaxSafeInteger + 1);
  EXPECT_EQ(Validate(request).code(), absl::StatusCode::kInvalidArgument);
  v1::Want want;
  want.set_start(kMaxSafeInteger - 10);
  EXPECT_TRUE(Validate(want).ok());  // no length: to the end
  want.set_length(11);
  EXPECT_EQ(Validate(want).code(), absl::StatusCode::kInvalidArgument);
  v1::Have have;
  have.set_start(~uint64_t{0});
  EXPECT_EQ(Validate(have).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesTest, DataProofShape) {
  v1::Data data;
  data.set_index(1);
  data.set_value("v");
  v1::Data::Node* node = data.add_nodes();
  node->set_index(2);
  node->set_hash(std::string(32, 'h'));
  node->set_size(1);
  data.set_signature(std::string(64, 's'));
  EXPECT_TRUE(Validate(data).ok());
  node->set_hash(std::string(31, 'h'));
  EXPECT_EQ(Validate(data).code(), absl::StatusCode::kInvalidArgument);
  node->set_hash(std::string(32, 'h'));
  data.set_signature(std::string(63, 's'));
  EXPECT_EQ(Validate(data).code(), absl::StatusCode::kInvalidArgument);
  data.clear_signature();
  for (int i = 0; i < 256; ++i) *data.add_nodes() = *node;
  EXPECT_EQ(Validate(data).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesTest, ExtensionFrames) {
  absl::StatusOr<Extension> ext = DecodeExtension(Hex("8101") + "payload");
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(ext->index, 129u);
  EXPECT_EQ(ext->payload, "payload");
  EXPECT_EQ(DecodeExtension("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeExtension(Hex("80")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesTest, TypeNames) {
  EXPECT_EQ(MessageTypeName(0), "Feed");
  EXPECT_EQ(MessageTypeName(9), "Data");
  EXPECT_EQ(MessageTypeName(15), "Extension");
  EXPECT_EQ(MessageTypeName(12), "Unknown");
  EXPECT_TRUE(IsKnownType(15));
  EXPECT_FALSE(IsKnownType(10));
  EXPECT_EQ(static_cast<int>(MessageTraits<v1::Cancel>::kType), 8);
}

}  // namespace
}  // namespace evermirror::wire
