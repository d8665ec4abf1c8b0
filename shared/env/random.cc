#include "shared/env/random.h"

#include <sys/random.h>

#include <cstring>

#include "absl/synchronization/mutex.h"

namespace evermirror::env {
namespace {

uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

class LockedRandom final : public Random {
 public:
  LockedRandom() : rng_(OsSeed()) {}
  uint64_t Next64() override {
    absl::MutexLock lock(&mu_);
    return rng_.Next64();
  }

 private:
  static uint64_t OsSeed() {
    uint64_t seed = 0;
    if (::getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) seed = reinterpret_cast<uintptr_t>(&seed);
    return seed;
  }
  absl::Mutex mu_;
  SeededRandom rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

uint64_t Random::Uniform(uint64_t n) {
  // Rejection sampling avoids modulo bias.
  const uint64_t limit = ~0ull - (~0ull % n);
  uint64_t v;
  do {
    v = Next64();
  } while (v >= limit);
  return v % n;
}

void Random::Fill(void* out, size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    const uint64_t v = Next64();
    const size_t k = n < 8 ? n : 8;
    std::memcpy(p, &v, k);
    p += k;
    n -= k;
  }
}

SeededRandom::SeededRandom(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(&seed);
}

uint64_t SeededRandom::Next64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

Random* SystemRandom() {
  static LockedRandom* random = new LockedRandom;
  return random;
}

}  // namespace evermirror::env
