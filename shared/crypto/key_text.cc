#include "shared/crypto/key_text.h"

#include "absl/strings/str_cat.h"
#include "shared/base/hex.h"

namespace evermirror::crypto {
namespace {

std::string_view StripScheme(std::string_view text) {
  for (std::string_view scheme : {"dat://", "hyper://"}) {
    if (text.substr(0, scheme.size()) == scheme) text.remove_prefix(scheme.size());
  }
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return text;
}

}  // namespace

absl::StatusOr<PublicKey> ParsePublicKeyText(std::string_view text) {
  text = StripScheme(text);
  std::optional<std::string> raw;
  if (text.size() == 64) {
    raw = FromHex(text);
  } else if (text.size() == 52) {
    raw = FromZBase32(text);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("a key is 64 hex or 52 z-base-32 characters, got ", text.size(), " characters"));
  }
  if (!raw.has_value() || raw->size() != kPublicKeySize) {
    return absl::InvalidArgumentError("the key has characters that are neither hex nor z-base-32");
  }
  return ToArray<kPublicKeySize>(*raw);
}

absl::StatusOr<Hash> ParseHashHex(std::string_view text) {
  std::optional<std::string> raw = FromHex(text);
  if (!raw.has_value() || raw->size() != kHashSize) {
    return absl::InvalidArgumentError("a discovery key is 64 hex characters");
  }
  return ToArray<kHashSize>(*raw);
}

std::string KeyHex(const PublicKey& key) { return ToHex(AsView(key)); }
std::string HashHex(const Hash& hash) { return ToHex(AsView(hash)); }

std::string LogId(const PublicKey& key) { return HashHex(DiscoveryKey(key)).substr(0, 16); }

std::string LogId(std::string_view key_text) {
  absl::StatusOr<PublicKey> key = ParsePublicKeyText(key_text);
  return key.ok() ? LogId(*key) : "invalid-key";
}

}  // namespace evermirror::crypto
