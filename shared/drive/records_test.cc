#include "shared/drive/records.h"

#include "gtest/gtest.h"
#include "shared/base/hex.h"

namespace evermirror::drive {
namespace {

// Expected bytes were printed by hyperdrive 9.14.2's and append-tree 2.4.4's encoders.
TEST(RecordsTest, FileStatEncodesEveryFieldAsWriteFileDoes) {
  Stat stat{kDefaultFileMode, 0, 0, 70000, 2, 3, 4096, 1500000000000, 1500000000001};
  EXPECT_EQ(ToHex(EncodeStat(stat)), "08a483021000180020f0a204280230033880204080b0def7d32b4881b0def7d32b");
  EXPECT_EQ(DecodeStat(EncodeStat(stat)).value(), stat);
  EXPECT_TRUE(stat.IsFile());
  EXPECT_FALSE(stat.IsDirectory());
}

TEST(RecordsTest, DirectoryStatOmitsWhatMkdirLeavesUndefined) {
  Stat stat;
  stat.mode = kDefaultDirMode;
  stat.offset = 7;
  stat.byte_offset = 300;
  stat.mtime_ms = 1600000000000;
  stat.ctime_ms = 1600000000001;
  EXPECT_EQ(ToHex(EncodeStat(stat)), "08ed8301300738ac02408080babbc82e488180babbc82e");
  EXPECT_EQ(DecodeStat(EncodeStat(stat)).value(), stat);
  EXPECT_TRUE(stat.IsDirectory());
}

TEST(RecordsTest, MalformedStatIsDataLoss) {
  EXPECT_TRUE(absl::IsDataLoss(DecodeStat("\x10\x01").status()));  // no mode
  EXPECT_TRUE(absl::IsDataLoss(DecodeStat("\x08").status()));      // truncated varint
  EXPECT_TRUE(absl::IsDataLoss(DecodeStat("\xff\xff\xff").status()));
}

TEST(RecordsTest, IndexNamesTheContentFeed) {
  crypto::PublicKey key;
  key.fill(0xab);
  const std::string bytes = EncodeIndex(key);
  EXPECT_EQ(ToHex(bytes), "0a0a687970657264726976651220" + ToHex(std::string(32, '\xab')));
  EXPECT_EQ(DecodeIndex(bytes).value(), key);
}

TEST(RecordsTest, IndexOfAnotherKindOrWithoutKeyIsRefused) {
  EXPECT_TRUE(absl::IsFailedPrecondition(DecodeIndex(std::string("\x0a\x06hyperd", 8)).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeIndex(std::string("\x0a\x0ahyperdrive", 12)).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeIndex(std::string("\x0a\x0ahyperdrive\x12\x02xy", 16)).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeIndex("garbage\xff").status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeIndex("").status()));
}

TEST(RecordsTest, NodesEncodeAsAppendTreeDoes) {
  NodeRecord put{"/a/b", std::string("xy"), std::string("\x01\x00\x00", 3)};
  EXPECT_EQ(ToHex(EncodeNode(put)), "0a042f612f62120278791a03010000");
  NodeRecord del{"/a/b", std::nullopt, std::string("\x00\x01\x02", 3)};
  EXPECT_EQ(ToHex(EncodeNode(del)), "0a042f612f621a03000102");
  NodeRecord back = DecodeNode(EncodeNode(del)).value();
  EXPECT_EQ(back.name, "/a/b");
  EXPECT_FALSE(back.value.has_value());
  EXPECT_EQ(back.paths, del.paths);
  // An empty value is still a value (a put), as in the reference.
  EXPECT_TRUE(DecodeNode(std::string("\x0a\x01/\x12\x00", 5))->value.has_value());
}

TEST(RecordsTest, MalformedNodeIsDataLoss) {
  EXPECT_TRUE(absl::IsDataLoss(DecodeNode(std::string("\x12\x02xy", 4)).status()));  // no name
  EXPECT_TRUE(absl::IsDataLoss(DecodeNode(std::string("\x0a\x09/a", 4)).status()));  // truncated
}

TEST(RecordsTest, ContentKeyIsDerivedAsThePROTOCOLSVector) {
  std::array<uint8_t, 32> seed;
  seed.fill(1);
  crypto::KeyPair metadata = crypto::KeyPairFromSeed(seed);
  EXPECT_EQ(ToHex(crypto::AsView(metadata.public_key)),
            "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  crypto::KeyPair content = ContentKeyPair(metadata.secret_key);
  EXPECT_EQ(ToHex(crypto::AsView(content.public_key)),
            "1b60d3350e81bb7f891235cbe776781b785b06777a9c5385cd17bb55b8b330ef");
  EXPECT_TRUE(crypto::Verify("m", crypto::Sign("m", content.secret_key), content.public_key));
}

}  // namespace
}  // namespace evermirror::drive
