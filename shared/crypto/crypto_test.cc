#include "shared/crypto/crypto.h"

#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::crypto {
namespace {

// Vectors below were produced by the reference's own crypto (sodium-universal,
// hypercore-crypto and xsalsa20 from npm hypercore 7.7.1).
std::array<uint8_t, kSeedSize> Seed01() {
  std::array<uint8_t, kSeedSize> seed;
  seed.fill(1);
  return seed;
}

TEST(CryptoTest, KeyPairFromSeedMatchesReference) {
  const KeyPair kp = KeyPairFromSeed(Seed01());
  EXPECT_EQ(ToHex(AsView(kp.public_key)), "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
}

TEST(CryptoTest, DiscoveryKeyMatchesReference) {
  const KeyPair kp = KeyPairFromSeed(Seed01());
  EXPECT_EQ(ToHex(AsView(DiscoveryKey(kp.public_key))),
            "c1feb82a2b3ba065ffed9f6addcf19ac250793bcab748986a1b4272c62da20e6");
}

TEST(CryptoTest, SignatureMatchesReferenceAndVerifies) {
  const KeyPair kp = KeyPairFromSeed(Seed01());
  const Signature sig = Sign("msg", kp.secret_key);
  EXPECT_EQ(ToHex(AsView(sig)),
            "1f7994b02892d629ed0bf1215d0700c11d58b4f116ad5c9ef0927605cd53b1f740984ed7f09239c3d81ca674f8c6"
            "2aa4629408c6ac51f21f62d234973da17f02");
  EXPECT_TRUE(Verify("msg", sig, kp.public_key));
  EXPECT_FALSE(Verify("msh", sig, kp.public_key));
  Signature bad = sig;
  bad[10] ^= 1;
  EXPECT_FALSE(Verify("msg", bad, kp.public_key));
  EXPECT_FALSE(Verify("msg", std::string_view("short"), kp.public_key));
}

TEST(CryptoTest, Blake2bMatchesReferenceAndIncrementalAgrees) {
  EXPECT_EQ(ToHex(AsView(Blake2b256("abc"))), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  Blake2b inc;
  inc.Update("a");
  inc.Update("bc");
  EXPECT_EQ(inc.Final(), Blake2b256("abc"));
  EXPECT_NE(Blake2b256Keyed("abc", "0123456789abcdef"), Blake2b256("abc"));
}

TEST(CryptoTest, StreamCipherMatchesReferenceAcrossArbitraryChunks) {
  std::array<uint8_t, 32> key;
  key.fill(3);
  Nonce nonce;
  nonce.fill(2);
  const std::string expected =
      "b88158874e549c078b20d3e9cee47c7fe0922388aedcf4297fee20425c63fe0b105fb4c36289ca3902d1b38c0c3d6efb"
      "4a0ec0c13994968b56761d979c16bafde2f37ef720570aa32af6520190622f287e572f83574eb50c110450bd43a2894f"
      "8d64f544";
  for (size_t chunk : {1u, 7u, 63u, 64u, 65u, 100u}) {
    StreamCipher cipher(key, nonce);
    std::string data(100, '\0');
    for (size_t off = 0; off < data.size(); off += chunk) {
      const size_t n = std::min(chunk, data.size() - off);
      cipher.Xor(reinterpret_cast<uint8_t*>(data.data()) + off, n);
    }
    EXPECT_EQ(ToHex(data), expected) << "chunk " << chunk;
    EXPECT_EQ(cipher.bytes_processed(), 100u);
  }
  // Decrypting with a fresh stream restores the plaintext.
  std::string msg = "hello hypercore";
  StreamCipher enc(key, nonce), dec(key, nonce);
  enc.Xor(&msg);
  EXPECT_NE(msg, "hello hypercore");
  dec.Xor(&msg);
  EXPECT_EQ(msg, "hello hypercore");
}

TEST(CryptoTest, KeyFileRoundTripsWithPrivateMode) {
  env::MemFileSystem fs;
  const KeyPair kp = GenerateKeyPair();
  ASSERT_TRUE(SaveKeyPairFile(fs, "id", kp).ok());
  EXPECT_EQ(fs.Stat("id")->mode, 0600u);
  auto loaded = LoadKeyPairFile(fs, "id");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->public_key, kp.public_key);
}

TEST(CryptoTest, KeyFileRejectsCorruptionWrongSizeAndLoosePermissions) {
  env::MemFileSystem fs;
  const KeyPair kp = GenerateKeyPair();
  ASSERT_TRUE(SaveKeyPairFile(fs, "id", kp).ok());

  std::string bytes = fs.Contents("id").value();
  bytes[40] ^= 1;  // public half no longer matches the seed
  fs.SetContents("id", bytes);
  EXPECT_EQ(LoadKeyPairFile(fs, "id").status().code(), absl::StatusCode::kDataLoss);

  fs.SetContents("id", "short");
  EXPECT_EQ(LoadKeyPairFile(fs, "id").status().code(), absl::StatusCode::kDataLoss);

  ASSERT_TRUE(SaveKeyPairFile(fs, "id", kp).ok());
  ASSERT_TRUE(fs.SetPermissions("id", 0644).ok());
  EXPECT_EQ(LoadKeyPairFile(fs, "id").status().code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(LoadKeyPairFile(fs, "missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(PublicKeyFromBytes("abc").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CryptoTest, RandomNoncesDiffer) { EXPECT_NE(RandomNonce(), RandomNonce()); }

// PROTOCOLS.md §3b: metadata seed 01x32 -> content public key 1b60d335...b330ef.
TEST(CryptoTest, DeriveSubkeyGivesHyperdrivesContentKey) {
  const KeyPair metadata = KeyPairFromSeed(Seed01());
  const auto seed = DeriveSubkey(1, "hyperdri", metadata.secret_key.view());
  const std::string content = ToHex(AsView(KeyPairFromSeed(seed).public_key));
  EXPECT_EQ(content.substr(0, 8), "1b60d335");
  EXPECT_EQ(content.substr(content.size() - 6), "b330ef");
  EXPECT_NE(DeriveSubkey(2, "hyperdri", metadata.secret_key.view()), seed);
}

}  // namespace
}  // namespace evermirror::crypto
