#include "shared/dht/node_state.h"

#include "gtest/gtest.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::dht {
namespace {

NodeState Sample() {
  env::SeededRandom random(9);
  NodeState state;
  state.id = NodeId::Random(random);
  for (uint16_t i = 1; i <= 20; ++i) state.contacts.push_back(Contact{NodeId::Random(random), Endpoint{0x7f000001, i}});
  return state;
}

TEST(NodeStateTest, RoundTripsThroughFileSystem) {
  env::MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/state").ok());
  const NodeState state = Sample();
  ASSERT_TRUE(SaveNodeState(fs, "/state/dht", state).ok());
  absl::StatusOr<NodeState> loaded = LoadNodeState(fs, "/state/dht");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->id, state.id);
  EXPECT_EQ(loaded->contacts, state.contacts);
  // Replaced atomically: no temporary file left behind.
  EXPECT_FALSE(fs.Exists("/state/dht.tmp"));
}

TEST(NodeStateTest, MissingIsNotFoundAndCorruptIsDataLoss) {
  env::MemFileSystem fs;
  EXPECT_TRUE(absl::IsNotFound(LoadNodeState(fs, "/nope").status()));
  const std::string good = SerializeNodeState(Sample());
  for (const std::string& bad : {std::string("garbage"), good.substr(0, good.size() - 1), good + "x",
                                 std::string("d8:contacts0:6:formati2e2:id20:aaaaaaaaaaaaaaaaaaaae"),
                                 std::string("d8:contacts3:abc6:formati1e2:id20:aaaaaaaaaaaaaaaaaaaae")}) {
    fs.SetContents("/state", bad);
    EXPECT_TRUE(absl::IsDataLoss(LoadNodeState(fs, "/state").status())) << bad;
  }
  fs.SetContents("/state", std::string(1 << 20, 'x'));
  EXPECT_TRUE(absl::IsDataLoss(LoadNodeState(fs, "/state").status()));
}

TEST(NodeStateTest, KeepsAtMostMaxContacts) {
  NodeState state = Sample();
  state.contacts.resize(kMaxSavedContacts + 10, state.contacts[0]);
  absl::StatusOr<NodeState> back = ParseNodeState(SerializeNodeState(state));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->contacts.size(), kMaxSavedContacts);
}

}  // namespace
}  // namespace evermirror::dht
