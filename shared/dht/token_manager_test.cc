#include "shared/dht/token_manager.h"

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

constexpr uint32_t kIpA = 0x7f000001;
constexpr uint32_t kIpB = 0x7f000002;

TEST(TokenManagerTest, TokenIsBoundToRequesterIp) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  TokenManager tokens(absl::Minutes(5), t0);
  const std::string token = tokens.Issue(kIpA, t0);
  EXPECT_EQ(token.size(), kTokenBytes);
  EXPECT_TRUE(tokens.Verify(token, kIpA, t0));
  EXPECT_FALSE(tokens.Verify(token, kIpB, t0));
  EXPECT_FALSE(tokens.Verify("garbage!", kIpA, t0));
  EXPECT_FALSE(tokens.Verify("", kIpA, t0));
}

TEST(TokenManagerTest, AcceptsCurrentAndPreviousSecretOnly) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  TokenManager tokens(absl::Minutes(5), t0);
  const std::string token = tokens.Issue(kIpA, t0 + absl::Minutes(4));
  EXPECT_TRUE(tokens.Verify(token, kIpA, t0 + absl::Minutes(6)));   // one rotation later
  EXPECT_NE(tokens.Issue(kIpA, t0 + absl::Minutes(6)), token);      // a fresh secret issues anew
  EXPECT_TRUE(tokens.Verify(token, kIpA, t0 + absl::Minutes(9)));
  EXPECT_FALSE(tokens.Verify(token, kIpA, t0 + absl::Minutes(11)));  // two rotations later
}

TEST(TokenManagerTest, LongIdleInvalidatesEverything) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  TokenManager tokens(absl::Minutes(5), t0);
  const std::string token = tokens.Issue(kIpA, t0);
  EXPECT_FALSE(tokens.Verify(token, kIpA, t0 + absl::Hours(3)));
}

}  // namespace
}  // namespace evermirror::dht
