#include "shared/dht/token_manager.h"

#include "shared/base/bytes.h"
#include "shared/crypto/crypto.h"

namespace evermirror::dht {

TokenManager::TokenManager(absl::Duration rotation, absl::Time now) : rotation_(rotation), rotated_at_(now) {
  crypto::RandomBytes(current_.data(), current_.size());
  crypto::RandomBytes(previous_.data(), previous_.size());
}

void TokenManager::MaybeRotate(absl::Time now) {
  if (now - rotated_at_ < rotation_) return;
  // After two or more idle periods both secrets are stale: nothing issued before is valid.
  if (now - rotated_at_ >= 2 * rotation_) crypto::RandomBytes(current_.data(), current_.size());
  previous_ = current_;
  crypto::RandomBytes(current_.data(), current_.size());
  rotated_at_ += absl::Floor(now - rotated_at_, rotation_);
}

std::string TokenManager::Compute(const Secret& secret, uint32_t ip) {
  std::string message;
  AppendU32BE(&message, ip);
  const crypto::Hash h = crypto::Blake2b256Keyed(message, crypto::AsView(secret));
  return std::string(crypto::AsView(h).substr(0, kTokenBytes));
}

std::string TokenManager::Issue(uint32_t ip, absl::Time now) {
  MaybeRotate(now);
  return Compute(current_, ip);
}

bool TokenManager::Verify(std::string_view token, uint32_t ip, absl::Time now) {
  MaybeRotate(now);
  if (token.size() != kTokenBytes) return false;
  // Tokens are not secrets worth a constant-time compare: they are sent in clear.
  return token == Compute(current_, ip) || token == Compute(previous_, ip);
}

}  // namespace evermirror::dht
