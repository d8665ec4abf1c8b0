#include "services/gateway/content_cache.h"

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

std::shared_ptr<const CachedFile> File(size_t size, char fill = 'x') {
  auto file = std::make_shared<CachedFile>();
  file->bytes = FileBytes(std::string(size, fill), /*memfd_min_bytes=*/512);
  return file;
}

TEST(ContentCacheTest, HitsAndMissesAreCounted) {
  ContentCache cache(1 << 20);
  EXPECT_EQ(cache.Lookup("s", 1, "a"), nullptr);
  cache.Insert("s", 1, "a", File(10), cache.Generation());
  ASSERT_NE(cache.Lookup("s", 1, "a"), nullptr);
  EXPECT_EQ(cache.Lookup("s", 2, "a"), nullptr);  // other version
  EXPECT_EQ(cache.Lookup("t", 1, "a"), nullptr);  // other site
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 3u);
  EXPECT_EQ(stats.entries, 1u);
}

TEST(ContentCacheTest, EvictsLeastRecentlyUsedWithinBudget) {
  ContentCache cache(3 * (1000 + 512));
  const uint64_t g = cache.Generation();
  cache.Insert("s", 1, "a", File(1000), g);
  cache.Insert("s", 1, "b", File(1000), g);
  cache.Insert("s", 1, "c", File(1000), g);
  ASSERT_NE(cache.Lookup("s", 1, "a"), nullptr);  // a is now most recent
  cache.Insert("s", 1, "d", File(1000), g);
  EXPECT_EQ(cache.Lookup("s", 1, "b"), nullptr);
  EXPECT_NE(cache.Lookup("s", 1, "a"), nullptr);
  EXPECT_NE(cache.Lookup("s", 1, "d"), nullptr);
  EXPECT_LE(cache.Stats().bytes, 3u * (1000 + 512));
}

TEST(ContentCacheTest, RefusesEntriesLargerThanBudget) {
  ContentCache cache(1000);
  cache.Insert("s", 1, "big", File(2000), cache.Generation());
  EXPECT_EQ(cache.Lookup("s", 1, "big"), nullptr);
  EXPECT_EQ(cache.Stats().bytes, 0u);
}

TEST(ContentCacheTest, InvalidateSiteDropsOnlyThatSite) {
  ContentCache cache(1 << 20);
  const uint64_t g = cache.Generation();
  cache.Insert("s", 1, "a", File(10), g);
  cache.Insert("s", 2, "a", File(10), g);
  cache.Insert("t", 1, "a", File(10), g);
  cache.InvalidateSite("s");
  EXPECT_EQ(cache.Lookup("s", 1, "a"), nullptr);
  EXPECT_EQ(cache.Lookup("s", 2, "a"), nullptr);
  EXPECT_NE(cache.Lookup("t", 1, "a"), nullptr);
}

TEST(ContentCacheTest, InsertAfterRacingInvalidationIsDropped) {
  ContentCache cache(1 << 20);
  const uint64_t before_read = cache.Generation();
  cache.InvalidateSite("s");  // a change notification arrives while the file is being read
  cache.Insert("s", 1, "a", File(10), before_read);
  EXPECT_EQ(cache.Lookup("s", 1, "a"), nullptr);
}

TEST(ContentCacheTest, EvictedEntryStaysValidForItsHolder) {
  ContentCache cache(2000);
  cache.Insert("s", 1, "a", File(1000, 'a'), cache.Generation());
  auto held = cache.Lookup("s", 1, "a");
  cache.Insert("s", 1, "b", File(1000, 'b'), cache.Generation());
  EXPECT_EQ(cache.Lookup("s", 1, "a"), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->bytes.view(), std::string(1000, 'a'));
}

TEST(ContentCacheTest, ReplacingAnEntryKeepsAccountingRight) {
  ContentCache cache(1 << 20);
  cache.Insert("s", 1, "a", File(100), cache.Generation());
  const uint64_t bytes = cache.Stats().bytes;
  cache.Insert("s", 1, "a", File(100), cache.Generation());
  EXPECT_EQ(cache.Stats().bytes, bytes);
  EXPECT_EQ(cache.Stats().entries, 1u);
  cache.Clear();
  EXPECT_EQ(cache.Stats().bytes, 0u);
}

}  // namespace
}  // namespace evermirror::gateway
