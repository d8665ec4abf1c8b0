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

// Block i: between 0 and ~6 KiB, content derived from i.
inline std::string Content(uint64_t i) {
  return std::string((i * 37) % 6007, static_cast<char>('A' + i % 26)) + std::to_string(i);
}

}  // namespace evermirror::crash
