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

}  // namespace evermirror::crypto
