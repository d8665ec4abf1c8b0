// TokenManager: the opaque get_peers tokens of BEP 5. A token is a keyed hash of the
// requester's IPv4 address under a secret that rotates every `rotation`; tokens from the
// current and the previous secret are accepted, so a token lives 1-2 rotation periods.
// Used by DhtNode. Not thread-safe (DhtNode locks).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace evermirror::dht {

inline constexpr size_t kTokenBytes = 8;

class TokenManager {
 public:
  // Secrets come from the OS CSPRNG (shared/crypto): a predictable secret would let anyone
  // announce arbitrary IPs. REQUIRES: rotation > 0.
  TokenManager(absl::Duration rotation, absl::Time now);

  // The token for a requester at `ip` (host byte order).
  std::string Issue(uint32_t ip, absl::Time now);
  // True if `token` was issued to `ip` under the current or the previous secret.
  bool Verify(std::string_view token, uint32_t ip, absl::Time now);

 private:
  using Secret = std::array<uint8_t, 16>;
  void MaybeRotate(absl::Time now);
  static std::string Compute(const Secret& secret, uint32_t ip);

  const absl::Duration rotation_;
  absl::Time rotated_at_;
  Secret current_;
  Secret previous_;
};

}  // namespace evermirror::dht
