// Thin wrappers over libsodium for everything evermirror signs, hashes or encrypts:
// Ed25519 keys and signatures, BLAKE2b-256, the hypercore discovery key, the XSalsa20 stream
// of the v6 wire, and secure random bytes. sodium_init() runs once, on first use.
// All functions are thread-safe. No exceptions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "shared/env/file_system.h"

namespace evermirror::crypto {

inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSecretKeySize = 64;  // libsodium layout: seed (32) || public key (32)
inline constexpr size_t kSeedSize = 32;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kHashSize = 32;
inline constexpr size_t kNonceSize = 24;

using Hash = std::array<uint8_t, kHashSize>;
using PublicKey = std::array<uint8_t, kPublicKeySize>;
using Signature = std::array<uint8_t, kSignatureSize>;
using Nonce = std::array<uint8_t, kNonceSize>;

// Ed25519 secret key; its bytes are wiped when destroyed.
class SecretKey {
 public:
  SecretKey() { bytes_.fill(0); }
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;
  ~SecretKey();

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()}; }

 private:
  std::array<uint8_t, kSecretKeySize> bytes_;
};

struct KeyPair {
  PublicKey public_key;
  SecretKey secret_key;
};

// Aborts the process if libsodium cannot initialise (no usable entropy): nothing is safe then.
void EnsureInitialized();

KeyPair GenerateKeyPair();
KeyPair KeyPairFromSeed(const std::array<uint8_t, kSeedSize>& seed);

// Parses raw key bytes. InvalidArgument on a wrong size; for a secret key, DataLoss if its
// embedded public half does not match the key its seed derives (a corrupt or foreign file).
absl::StatusOr<PublicKey> PublicKeyFromBytes(std::string_view bytes);
absl::StatusOr<KeyPair> KeyPairFromSecretKeyBytes(std::string_view bytes);

// An identity key file: the 64-byte secret key, raw, mode 0600, written atomically.
absl::Status SaveKeyPairFile(env::FileSystem& fs, const std::string& path, const KeyPair& key_pair);
// Loads it back. NotFound if missing; DataLoss if corrupt; FailedPrecondition if the file is
// readable by group or others (the secret would be exposed), naming the fix.
absl::StatusOr<KeyPair> LoadKeyPairFile(env::FileSystem& fs, const std::string& path);

Signature Sign(std::string_view message, const SecretKey& secret_key);
bool Verify(std::string_view message, const Signature& signature, const PublicKey& public_key);
bool Verify(std::string_view message, std::string_view signature, const PublicKey& public_key);

Hash Blake2b256(std::string_view data);
Hash Blake2b256Keyed(std::string_view data, std::string_view key);  // key: 16..64 bytes

// Incremental BLAKE2b-256, to hash a message made of several parts without copying them.
class Blake2b {
 public:
  Blake2b();
  void Update(std::string_view part);
  void Update(const uint8_t* data, size_t n);
  Hash Final();

 private:
  alignas(64) unsigned char state_[384];
};

// BLAKE2b-256(message = "hypercore", key = public key): the topic a feed is found by.
Hash DiscoveryKey(const PublicKey& public_key);

// XSalsa20 keystream XOR. `counter` counts 64-byte blocks, as crypto_stream_xsalsa20_xor_ic.
// REQUIRES: out and in have `n` bytes (they may alias).
void XSalsa20Xor(uint8_t* out, const uint8_t* in, size_t n, const Nonce& nonce, uint64_t counter,
                 const std::array<uint8_t, 32>& key);

// One continuous XSalsa20 keystream applied across many messages of any length, as the
// hypercore-protocol v6 wire does. Not thread-safe.
class StreamCipher {
 public:
  StreamCipher(const std::array<uint8_t, 32>& key, const Nonce& nonce);
  ~StreamCipher();
  void Xor(uint8_t* data, size_t n);
  void Xor(std::string* data) { Xor(reinterpret_cast<uint8_t*>(data->data()), data->size()); }
  uint64_t bytes_processed() const { return offset_; }

 private:
  std::array<uint8_t, 32> key_;
  Nonce nonce_;
  uint64_t offset_ = 0;  // bytes of keystream used so far
};

// libsodium's crypto_kdf_derive_from_key: a 32-byte subkey number `subkey_id` for an
// 8-character `context` from a 32-byte master key. Used for hyperdrive's content key
// (context "hyperdri", id 1, master = the first 32 bytes of the metadata secret key).
// REQUIRES: context.size() == 8, master.size() >= 32 (only the first 32 bytes are read).
std::array<uint8_t, 32> DeriveSubkey(uint64_t subkey_id, std::string_view context, std::string_view master);

void RandomBytes(void* out, size_t n);
Nonce RandomNonce();

// View helpers for fixed-size byte arrays.
template <size_t N>
std::string_view AsView(const std::array<uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}
template <size_t N>
std::string AsString(const std::array<uint8_t, N>& a) {
  return std::string(AsView(a));
}
// REQUIRES: bytes.size() == N.
template <size_t N>
std::array<uint8_t, N> ToArray(std::string_view bytes) {
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N && i < bytes.size(); ++i) out[i] = static_cast<uint8_t>(bytes[i]);
  return out;
}

}  // namespace evermirror::crypto
