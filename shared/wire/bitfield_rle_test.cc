#include "shared/wire/bitfield_rle.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "shared/base/bytes.h"
#include "shared/base/hex.h"

namespace evermirror::wire {
namespace {

std::string Hex(std::string_view hex) { return hex == "-" ? "" : *FromHex(hex); }

std::string TrimZeros(std::string s) {
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

// testdata/bitfield_rle_vectors.txt comes from tests/wire_interop/rle_vectors.js (the npm package).
TEST(BitfieldRleTest, MatchesReferenceVectors) {
  std::ifstream file(EM_WIRE_TESTDATA_DIR "/bitfield_rle_vectors.txt");
  ASSERT_TRUE(file) << "missing testdata";
  std::string input_hex, encoded_hex;
  int cases = 0;
  while (file >> input_hex >> encoded_hex) {
    const std::string input = Hex(input_hex);
    const std::string encoded = Hex(encoded_hex);
    EXPECT_EQ(ToHex(EncodeBitfieldRle(input)), ToHex(encoded)) << "input " << input_hex;
    absl::StatusOr<std::string> decoded = DecodeBitfieldRle(encoded, 1 << 20);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, TrimZeros(input));
    ++cases;
  }
  EXPECT_GT(cases, 30);
}

TEST(BitfieldRleTest, HaveBitfieldFromTheWire) {
  // Have{start 0, length 1048576, bitfield 02 f8}: blocks 0-4.
  absl::StatusOr<std::string> bits = DecodeBitfieldRle(Hex("02f8"), 1024);
  ASSERT_TRUE(bits.ok());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(BitfieldGet(*bits, i)) << i;
  EXPECT_FALSE(BitfieldGet(*bits, 5));
  EXPECT_FALSE(BitfieldGet(*bits, 1000));
}

TEST(BitfieldRleTest, RejectsMalformedInput) {
  EXPECT_EQ(DecodeBitfieldRle(Hex("80"), 100).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeBitfieldRle(Hex("04aa"), 100).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeBitfieldRle(Hex("ffffffffffffffffffff7f"), 100).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BitfieldRleTest, BoundsTheOutputBeforeAllocating) {
  std::string huge;
  AppendVarint(&huge, (uint64_t{1} << 60) | 3);  // a run of 2^58 bytes of 0xff
  EXPECT_EQ(DecodeBitfieldRle(huge, 1 << 20).status().code(), absl::StatusCode::kResourceExhausted);
  // Many runs that only together exceed the bound.
  std::string many;
  for (int i = 0; i < 100; ++i) AppendVarint(&many, (uint64_t{1} << 62) | 1);
  EXPECT_EQ(BitfieldRleDecodedSize(many, ~uint64_t{0}).status().code(), absl::StatusCode::kResourceExhausted);
  // Exactly at the bound is fine.
  std::string exact;
  AppendVarint(&exact, (1024 << 2) | 3);
  absl::StatusOr<std::string> decoded = DecodeBitfieldRle(exact, 1024);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, std::string(1024, '\xff'));
}

TEST(BitfieldRleTest, EmptyAndAllZero) {
  EXPECT_EQ(EncodeBitfieldRle(""), "");
  EXPECT_EQ(EncodeBitfieldRle(std::string(100, '\0')), "");
  EXPECT_EQ(*DecodeBitfieldRle("", 0), "");
}

}  // namespace
}  // namespace evermirror::wire
