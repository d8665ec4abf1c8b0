#include "shared/crypto/crypto.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"

namespace evermirror::crypto {
namespace {

static_assert(crypto_sign_PUBLICKEYBYTES == kPublicKeySize);
static_assert(crypto_sign_SECRETKEYBYTES == kSecretKeySize);
static_assert(crypto_sign_BYTES == kSignatureSize);
static_assert(crypto_stream_xsalsa20_NONCEBYTES == kNonceSize);

const uint8_t* U8(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

constexpr char kHypercore[] = "hypercore";

}  // namespace

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

void EnsureInitialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();
  });
}

KeyPair GenerateKeyPair() {
  EnsureInitialized();
  KeyPair kp;
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

KeyPair KeyPairFromSeed(const std::array<uint8_t, kSeedSize>& seed) {
  EnsureInitialized();
  KeyPair kp;
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data());
  return kp;
}

absl::StatusOr<PublicKey> PublicKeyFromBytes(std::string_view bytes) {
  if (bytes.size() != kPublicKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("public key must be 32 bytes, got ", bytes.size()));
  }
  return ToArray<kPublicKeySize>(bytes);
}

absl::StatusOr<KeyPair> KeyPairFromSecretKeyBytes(std::string_view bytes) {
  if (bytes.size() != kSecretKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("secret key must be 64 bytes, got ", bytes.size()));
  }
  KeyPair kp = KeyPairFromSeed(ToArray<kSeedSize>(bytes.substr(0, kSeedSize)));
  if (std::memcmp(kp.secret_key.data(), bytes.data(), kSecretKeySize) != 0) {
    return absl::DataLossError("secret key is corrupt: its public half does not match its seed");
  }
  return kp;
}

absl::Status SaveKeyPairFile(env::FileSystem& fs, const std::string& path, const KeyPair& key_pair) {
  return env::WriteFileAtomic(fs, path, key_pair.secret_key.view(), 0600);
}

absl::StatusOr<KeyPair> LoadKeyPairFile(env::FileSystem& fs, const std::string& path) {
  EM_ASSIGN_OR_RETURN(env::FileInfo info, fs.Stat(path));
  if (info.mode & 077) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": key file is readable by others (mode ", absl::Hex(info.mode),
                     "); run: chmod 600 ", path));
  }
  EM_ASSIGN_OR_RETURN(std::string bytes, env::ReadFile(fs, path, 1024));
  absl::StatusOr<KeyPair> kp = KeyPairFromSecretKeyBytes(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  if (!kp.ok()) return absl::DataLossError(absl::StrCat(path, ": ", kp.status().message()));
  return kp;
}

Signature Sign(std::string_view message, const SecretKey& secret_key) {
  EnsureInitialized();
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, U8(message), message.size(), secret_key.data());
  return sig;
}

bool Verify(std::string_view message, const Signature& signature, const PublicKey& public_key) {
  EnsureInitialized();
  return crypto_sign_verify_detached(signature.data(), U8(message), message.size(), public_key.data()) == 0;
}

bool Verify(std::string_view message, std::string_view signature, const PublicKey& public_key) {
  if (signature.size() != kSignatureSize) return false;
  return Verify(message, ToArray<kSignatureSize>(signature), public_key);
}

Hash Blake2b256(std::string_view data) {
  EnsureInitialized();
  Hash h;
  crypto_generichash(h.data(), h.size(), U8(data), data.size(), nullptr, 0);
  return h;
}

Hash Blake2b256Keyed(std::string_view data, std::string_view key) {
  EnsureInitialized();
  Hash h;
  crypto_generichash(h.data(), h.size(), U8(data), data.size(), U8(key), key.size());
  return h;
}

Blake2b::Blake2b() {
  static_assert(sizeof(state_) >= sizeof(crypto_generichash_state));
  EnsureInitialized();
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0, kHashSize);
}

void Blake2b::Update(std::string_view part) { Update(U8(part), part.size()); }

void Blake2b::Update(const uint8_t* data, size_t n) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), data, n);
}

Hash Blake2b::Final() {
  Hash h;
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_), h.data(), h.size());
  return h;
}

Hash DiscoveryKey(const PublicKey& public_key) {
  EnsureInitialized();
  Hash h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const uint8_t*>(kHypercore), sizeof(kHypercore) - 1,
                     public_key.data(), public_key.size());
  return h;
}

void XSalsa20Xor(uint8_t* out, const uint8_t* in, size_t n, const Nonce& nonce, uint64_t counter,
                 const std::array<uint8_t, 32>& key) {
  EnsureInitialized();
  crypto_stream_xsalsa20_xor_ic(out, in, n, nonce.data(), counter, key.data());
}

StreamCipher::StreamCipher(const std::array<uint8_t, 32>& key, const Nonce& nonce) : key_(key), nonce_(nonce) {
  EnsureInitialized();
}

StreamCipher::~StreamCipher() { sodium_memzero(key_.data(), key_.size()); }

void StreamCipher::Xor(uint8_t* data, size_t n) {
  if (n == 0) return;
  // Finish a partly used 64-byte keystream block first, then XOR whole blocks in place.
  const size_t partial = offset_ % 64;
  if (partial != 0) {
    uint8_t block[64] = {0};
    const size_t take = std::min<size_t>(64 - partial, n);
    std::memcpy(block + partial, data, take);
    crypto_stream_xsalsa20_xor_ic(block, block, partial + take, nonce_.data(), offset_ / 64, key_.data());
    std::memcpy(data, block + partial, take);
    sodium_memzero(block, sizeof(block));
    data += take;
    n -= take;
    offset_ += take;
  }
  if (n == 0) return;
  crypto_stream_xsalsa20_xor_ic(data, data, n, nonce_.data(), offset_ / 64, key_.data());
  offset_ += n;
}

std::array<uint8_t, 32> DeriveSubkey(uint64_t subkey_id, std::string_view context, std::string_view master) {
  static_assert(crypto_kdf_KEYBYTES == 32 && crypto_kdf_CONTEXTBYTES == 8);
  EnsureInitialized();
  std::array<uint8_t, 32> out;
  char ctx[crypto_kdf_CONTEXTBYTES] = {0};
  std::memcpy(ctx, context.data(), std::min<size_t>(context.size(), sizeof(ctx)));
  crypto_kdf_derive_from_key(out.data(), out.size(), subkey_id, ctx, U8(master));
  return out;
}

void RandomBytes(void* out, size_t n) {
  EnsureInitialized();
  randombytes_buf(out, n);
}

Nonce RandomNonce() {
  Nonce nonce;
  RandomBytes(nonce.data(), nonce.size());
  return nonce;
}

}  // namespace evermirror::crypto
