#include "shared/env/random.h"

#include <set>

#include "gtest/gtest.h"

namespace evermirror::env {
namespace {

TEST(RandomTest, SeededIsDeterministicAndSeedsDiffer) {
  SeededRandom a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const uint64_t va = a.Next64();
    EXPECT_EQ(va, b.Next64());
    EXPECT_NE(va, c.Next64());
  }
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  SeededRandom rng(7);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = rng.Uniform(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(RandomTest, SystemRandomFillsOddLengths) {
  char buf[13] = {};
  SystemRandom()->Fill(buf, sizeof(buf));
  int nonzero = 0;
  for (char c : buf) nonzero += c != 0;
  EXPECT_GT(nonzero, 0);
}

}  // namespace
}  // namespace evermirror::env
