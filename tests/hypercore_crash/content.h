// The deterministic key and block contents shared by crash_child and crash_loop_test.
#pragma once

#include <cstdint>
#include <string>

#include "shared/crypto/crypto.h"

namespace evermirror::crash {

inline crypto::KeyPair Key() {
  std::array<uint8_t, 32> seed;
  seed.fill(0x42);
  return crypto::KeyPairFromSeed(seed);
}

// Block i: mostly between 0 and ~6 KiB, every 11th one ~70 KiB (so appends holding it are
// written on the I/O thread while they are hashed); content derived from i.
inline std::string Content(uint64_t i) {
  const uint64_t size = i % 11 == 5 ? 70000 + i % 1000 : (i * 37) % 6007;
  return std::string(size, static_cast<char>('A' + i % 26)) + std::to_string(i);
}

}  // namespace evermirror::crash
