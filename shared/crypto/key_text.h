// Keys as people and JSON carry them: 64 hex characters, or 52 z-base-32 characters (as Dat
// links put keys in hostnames), optionally behind "dat://" or "hyper://".
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "shared/crypto/crypto.h"

namespace evermirror::crypto {

// InvalidArgument naming what was wrong (length, characters) for anything else.
absl::StatusOr<PublicKey> ParsePublicKeyText(std::string_view text);
// A 32-byte hash (discovery key) in hex.
absl::StatusOr<Hash> ParseHashHex(std::string_view text);
std::string KeyHex(const PublicKey& key);
std::string HashHex(const Hash& hash);
// How logs name a feed: the first 16 hex characters of its discovery key. A public key is a read
// capability (PROTOCOLS.md §1) and must not reach logs; `key_text` is any form ParsePublicKeyText
// takes ("invalid-key" otherwise).
std::string LogId(std::string_view key_text);
std::string LogId(const PublicKey& key);

}  // namespace evermirror::crypto
