#include "shared/crypto/key_text.h"

#include "gtest/gtest.h"
#include "shared/base/hex.h"

namespace evermirror::crypto {
namespace {

TEST(KeyTextTest, AcceptsHexZBase32AndLinks) {
  const PublicKey key = GenerateKeyPair().public_key;
  EXPECT_EQ(ParsePublicKeyText(KeyHex(key)).value(), key);
  EXPECT_EQ(ParsePublicKeyText("dat://" + KeyHex(key) + "/").value(), key);
  EXPECT_EQ(ParsePublicKeyText(ToZBase32(AsView(key))).value(), key);
}

TEST(KeyTextTest, RejectsWrongLengthsAndCharacters) {
  EXPECT_EQ(ParsePublicKeyText("abc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePublicKeyText(std::string(64, 'g')).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePublicKeyText(std::string(52, '0')).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHashHex("00").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseHashHex(std::string(64, 'a')).ok());
}

TEST(KeyTextTest, LogIdNamesTheDiscoveryKeyNeverThePublicKey) {
  const PublicKey key = GenerateKeyPair().public_key;
  const std::string id = LogId(KeyHex(key));
  EXPECT_EQ(id, HashHex(DiscoveryKey(key)).substr(0, 16));
  EXPECT_EQ(LogId(key), id);
  EXPECT_EQ(KeyHex(key).find(id), std::string::npos);
  EXPECT_EQ(LogId("not a key"), "invalid-key");
}

}  // namespace
}  // namespace evermirror::crypto
