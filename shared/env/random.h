// The Random seam for non-secret randomness (jitter, node ids, sampling), so simulations are
// reproducible with a seed. Key material never comes from here: see shared/crypto.
#pragma once

#include <cstddef>
#include <cstdint>

namespace evermirror::env {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next64() = 0;

  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);
  void Fill(void* out, size_t n);
};

// xoshiro256** seeded through splitmix64: fast, deterministic for a seed. Not thread-safe.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t Next64() override;

 private:
  uint64_t s_[4];
};

// Seeded once from the OS (getrandom); thread-safe. Never null.
Random* SystemRandom();

}  // namespace evermirror::env
