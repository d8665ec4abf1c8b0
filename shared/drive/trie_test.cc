#include "shared/drive/trie.h"

#include <map>
#include <set>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/drive/records.h"
#include "shared/drive/testing/mem_block_source.h"

namespace evermirror::drive {
namespace {

TEST(PathIndexTest, InflatesWithTheImpliedOwnBlock) {
  EXPECT_EQ(InflatePaths(5, std::string("\x01\x00\x00", 3)).value(), (PathIndex{{5}, {5}}));
  EXPECT_EQ(InflatePaths(9, std::string("\x01\x02\x01\x03\x00", 5)).value(), (PathIndex{{1, 4, 9}, {9}}));
  EXPECT_EQ(InflatePaths(9, std::string("\x00\x02\x01\x03\x00", 5)).value(), (PathIndex{{1, 4}, {}}));
}

TEST(PathIndexTest, DeflateInvertsInflate) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    const uint64_t seq = 1000 + rng() % 100000;
    const bool ends = rng() % 2 == 0;
    PathIndex index(1 + rng() % 6);
    for (auto& level : index) {
      uint64_t v = 1;
      for (int n = rng() % 20; n > 0; --n) level.push_back(v += 1 + rng() % 300);
      if (ends || level.empty()) level.push_back(seq);
    }
    auto encoded = DeflatePaths(seq, index);
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(InflatePaths(seq, *encoded).value(), index);
  }
}

TEST(PathIndexTest, MalformedIndexIsDataLoss) {
  EXPECT_TRUE(absl::IsDataLoss(InflatePaths(3, "").status()));                         // no header
  EXPECT_TRUE(absl::IsDataLoss(InflatePaths(3, std::string("\x00\x05\x01", 3)).status()));  // count > bytes
  EXPECT_TRUE(absl::IsDataLoss(InflatePaths(3, std::string("\x00\x01\x80", 3)).status()));   // truncated varint
  EXPECT_TRUE(absl::IsDataLoss(DeflatePaths(9, PathIndex{{5, 3}}).status()));            // not ascending
}

// A metadata feed in memory, written with the trie alone.
class TrieTest : public ::testing::Test {
 protected:
  TrieTest() : nodes_(&source_, 1u << 20), trie_(&nodes_) { source_.Append(EncodeIndex(crypto::PublicKey{})); }

  uint64_t head() const { return source_.Length() - 1; }

  void Put(const Names& names, const std::string& value) {
    const uint64_t seq = source_.Length();
    source_.Append(EncodeNode({JoinNames(names), value, trie_.PathsForPut(head(), names, seq).value()}));
  }
  void Del(const Names& names) {
    const uint64_t seq = source_.Length();
    source_.Append(EncodeNode({JoinNames(names), std::nullopt, trie_.PathsForDelete(head(), names, seq).value()}));
  }
  std::string GetValue(const Names& names, uint64_t at = 0) {
    auto node = trie_.Get(at ? at : head(), names);
    EXPECT_TRUE(node.ok()) << node.status();
    return node.ok() && *node ? *(*node)->value : "<none>";
  }
  std::vector<std::string> Children(const Names& names) {
    std::set<std::string> out;
    auto nodes = trie_.List(head(), names);
    EXPECT_TRUE(nodes.ok()) << nodes.status();
    if (!nodes.ok()) return {};
    for (const NodePtr& n : *nodes) {
      if (n->names.size() > names.size()) out.insert(n->names[names.size()]);
    }
    return {out.begin(), out.end()};
  }

  MemBlockSource source_;
  NodeStore nodes_;
  Trie trie_;
};

TEST_F(TrieTest, FirstPutListsOnlyItselfAtEveryLevel) {
  Put({"a", "b"}, "v");
  EXPECT_EQ(InflatePaths(1, *DecodeNode(source_.Get(1).value())->paths).value(), (PathIndex{{1}, {1}, {1}}));
  EXPECT_EQ(GetValue({"a", "b"}), "v");
  EXPECT_EQ(GetValue({"a"}), "<none>");
  EXPECT_EQ(Children({}), std::vector<std::string>{"a"});
}

TEST_F(TrieTest, RandomPutsInDeepAndWideTreesMatchAModelAtEveryVersion) {
  std::mt19937_64 rng(7);
  std::vector<std::map<Names, std::string>> versions(1);  // versions[v - 1] = model at block v
  std::map<Names, std::string> model;
  for (int i = 0; i < 400; ++i) {
    Names names;
    for (int depth = rng() % 5; depth > 0; --depth) names.push_back(absl::StrCat("d", rng() % 3));
    names.push_back(absl::StrCat("f", rng() % (i < 200 ? 60 : 6)));  // a wide level, then overwrites
    const std::string value = absl::StrCat("value-", i);
    Put(names, value);
    model[names] = value;
    versions.push_back(model);
  }
  for (uint64_t v = 1; v < versions.size(); v += 37) {
    for (const auto& [names, value] : versions.back()) {
      auto it = versions[v].find(names);
      EXPECT_EQ(GetValue(names, v), it == versions[v].end() ? "<none>" : it->second) << JoinNames(names) << "@" << v;
    }
  }
  std::set<std::string> top;
  for (const auto& [names, value] : model) top.insert(names[0]);
  EXPECT_EQ(Children({}), std::vector<std::string>(top.begin(), top.end()));
}

TEST_F(TrieTest, DeleteRemovesOnlyItsPathAndEmptiedParents) {
  Put({"a", "b", "c"}, "1");
  Put({"a", "b", "d"}, "2");
  Put({"a", "e"}, "3");
  Put({"z"}, "4");
  Del({"a", "b", "c"});
  EXPECT_EQ(GetValue({"a", "b", "c"}), "<none>");
  EXPECT_EQ(GetValue({"a", "b", "d"}), "2");
  EXPECT_EQ(Children({"a", "b"}), std::vector<std::string>{"d"});
  Del({"a", "b", "d"});
  EXPECT_EQ(Children({"a"}), std::vector<std::string>{"e"});
  Del({"a", "e"});
  EXPECT_EQ(Children({}), std::vector<std::string>{"z"});
  EXPECT_EQ(GetValue({"z"}), "4");
  EXPECT_EQ(GetValue({"a", "b", "d"}, 5), "2");  // the past is intact
}

TEST_F(TrieTest, ForwardPointerIsDataLossNotALoop) {
  // Block 1 claims that block 1000 represents a child of the root.
  source_.Append(EncodeNode({"/x", std::string("v"), std::string("\x00\x01\xe8\x07\x00", 5)}));
  EXPECT_TRUE(absl::IsDataLoss(trie_.Get(1, {"y"}).status()));
  EXPECT_TRUE(absl::IsDataLoss(trie_.List(1, {}).status()));
}

TEST_F(TrieTest, PointerToTheIndexBlockIsDataLoss) {
  source_.Append(EncodeNode({"/x", std::string("v"), std::string("\x00\x01\x00\x00", 4)}));
  EXPECT_TRUE(absl::IsDataLoss(trie_.Get(1, {"y"}).status()));
}

TEST_F(TrieTest, MissingCandidateIsReportedOnlyWhenNothingElseMatches) {
  Put({"a"}, "1");
  Put({"b"}, "2");
  Put({"c"}, "3");
  source_.SetMissing(1, true);
  NodeStore fresh(&source_, 1u << 20);  // nothing cached
  Trie trie(&fresh);
  auto b = trie.Get(head(), {"b"});  // found without block 1
  ASSERT_TRUE(b.ok() && *b != nullptr);
  EXPECT_EQ(*(*b)->value, "2");
  EXPECT_TRUE(hypercore::IsMissingBlock(trie.Get(head(), {"a"}).status()));
  EXPECT_TRUE(hypercore::IsMissingBlock(trie.Get(head(), {"nope"}).status()));
  source_.SetMissing(3, true);  // the head itself
  NodeStore empty(&source_, 1u << 20);
  EXPECT_TRUE(hypercore::IsMissingBlock(Trie(&empty).Get(head(), {"c"}).status()));
}

}  // namespace
}  // namespace evermirror::drive
