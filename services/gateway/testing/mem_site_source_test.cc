#include "services/gateway/testing/mem_site_source.h"

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

const std::string kKey(32, 'k');

TEST(MemSiteSourceTest, PublishKeepsContentIdsOfUnchangedFiles) {
  MemSiteSource source;
  source.AddSite(kKey, "blog");
  ASSERT_EQ(source.Publish(kKey, {{"a.txt", "A"}, {"d/b.txt", "B"}}), 1u);
  ASSERT_EQ(source.Publish(kKey, {{"d/b.txt", "B2"}}), 2u);
  auto a1 = source.Stat(kKey, 1, "a.txt");
  auto a2 = source.Stat(kKey, 2, "a.txt");
  auto b1 = source.Stat(kKey, 1, "d/b.txt");
  auto b2 = source.Stat(kKey, 2, "d/b.txt");
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok() && b2.ok());
  EXPECT_EQ(a1->content_id, a2->content_id);
  EXPECT_NE(b1->content_id, b2->content_id);
  EXPECT_EQ(source.Stat(kKey, 2, "d")->type, EntryType::kDirectory);
  EXPECT_EQ(source.Stat(kKey, 2, "")->type, EntryType::kDirectory);
  EXPECT_TRUE(absl::IsNotFound(source.Stat(kKey, 2, "d/c").status()));
  EXPECT_TRUE(absl::IsNotFound(source.Stat(kKey, 3, "a.txt").status()));
}

TEST(MemSiteSourceTest, ListsDirectoriesAndReadsRanges) {
  MemSiteSource source;
  source.AddSite(kKey);
  source.Publish(kKey, {{"a.txt", "hello"}, {"d/b.txt", "B"}, {"d/e/f", "F"}});
  auto root = source.List(kKey, 1, "");
  ASSERT_TRUE(root.ok());
  ASSERT_EQ(root->size(), 2u);
  EXPECT_EQ((*root)[0].name, "a.txt");
  EXPECT_EQ((*root)[1].name, "d");
  EXPECT_EQ((*root)[1].stat.type, EntryType::kDirectory);
  EXPECT_EQ(source.List(kKey, 1, "d")->size(), 2u);
  EXPECT_TRUE(absl::IsInvalidArgument(source.List(kKey, 1, "a.txt").status()));
  std::string out;
  ASSERT_TRUE(source.Read(kKey, 1, "a.txt", 1, 3, &out).ok());
  EXPECT_EQ(out, "ell");
  ASSERT_TRUE(source.Read(kKey, 1, "a.txt", 3, 100, &out).ok());
  EXPECT_EQ(out, "lo");
}

TEST(MemSiteSourceTest, VersionsUnavailabilityAndNotifications) {
  MemSiteSource source;
  std::vector<SiteChange> changes;
  auto id = source.Subscribe([&](const SiteChange& c) { changes.push_back(c); });
  source.AddSite(kKey, "blog");
  source.Publish(kKey, {{"a", "1"}});
  source.Publish(kKey, {{"a", "2"}}, {}, /*complete=*/false);
  auto info = source.GetSite(kKey);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->served_version, 1u);
  EXPECT_EQ(info->latest_version, 2u);
  EXPECT_EQ(*source.ResolveAlias("blog"), kKey);
  source.SetPathUnavailable(kKey, "a", true);
  std::string out;
  EXPECT_TRUE(absl::IsUnavailable(source.Read(kKey, 1, "a", 0, 1, &out)));
  source.RemoveSite(kKey);
  EXPECT_TRUE(absl::IsNotFound(source.GetSite(kKey).status()));
  EXPECT_TRUE(absl::IsNotFound(source.ResolveAlias("blog").status()));
  source.Unsubscribe(id);
  source.AddSite(kKey);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().kind, SiteChangeKind::kRemoved);
  source.SetFailure(absl::UnavailableError("down"));
  EXPECT_TRUE(absl::IsUnavailable(source.GetSite(kKey).status()));
}

}  // namespace
}  // namespace evermirror::gateway
