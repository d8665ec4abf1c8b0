#include "shared/base/hex.h"

#include "gtest/gtest.h"

namespace evermirror {
namespace {

TEST(HexTest, RoundTrips) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(ToHex(bytes), "0001abff");
  EXPECT_EQ(FromHex("0001ABff"), bytes);
}

TEST(HexTest, RejectsBadInput) {
  EXPECT_FALSE(FromHex("abc").has_value());
  EXPECT_FALSE(FromHex("zz").has_value());
  EXPECT_EQ(FromHex(""), std::string());
}

TEST(ZBase32Test, RoundTripsKeysOfEveryLength) {
  for (size_t n = 0; n <= 33; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(i * 37 + 11));
    const std::string text = ToZBase32(bytes);
    EXPECT_EQ(FromZBase32(text), bytes) << n;
  }
}

TEST(ZBase32Test, KnownVectorAndCaseInsensitivity) {
  // 0xf0 = 11110 000(00): symbols 30 and 0 of the alphabet.
  EXPECT_EQ(ToZBase32(std::string("\xf0", 1)), "6y");
  EXPECT_EQ(FromZBase32("6Y"), std::string("\xf0", 1));
  // A 32-byte key is 52 characters.
  EXPECT_EQ(ToZBase32(std::string(32, '\x42')).size(), 52u);
}

TEST(ZBase32Test, RejectsForeignCharactersAndNonZeroPadding) {
  EXPECT_FALSE(FromZBase32("l0").has_value());  // 'l' and '0' are not in the alphabet
  EXPECT_FALSE(FromZBase32("6y6").has_value());  // leftover 5+ bits
  EXPECT_FALSE(FromZBase32("6b").has_value());   // 'b' sets padding bits
}

}  // namespace
}  // namespace evermirror
