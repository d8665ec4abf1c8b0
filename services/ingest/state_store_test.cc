#include "services/ingest/state_store.h"

#include "gtest/gtest.h"
#include "shared/env/testing/fault_file_system.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::ingest {
namespace {

TEST(StateStoreTest, StartsEmptyAndRoundTrips) {
  env::MemFileSystem fs;
  StateStore store(&fs, "data/ingest");
  ASSERT_TRUE(store.Load().ok());
  EXPECT_TRUE(store.Get().command_log_key().empty());
  IngestState state;
  state.set_command_log_key(std::string(64, 'a'));
  (*state.mutable_mirrors())["site"].set_alias("blog");
  (*state.mutable_pins())["site"] = 7;
  ASSERT_TRUE(store.Commit(state).ok());
  StateStore reopened(&fs, "data/ingest");
  ASSERT_TRUE(reopened.Load().ok());
  EXPECT_EQ(reopened.Get().mirrors().at("site").alias(), "blog");
  EXPECT_EQ(reopened.Get().pins().at("site"), 7u);
  EXPECT_EQ(reopened.Get().format(), 1u);
  EXPECT_NE(fs.Contents("data/ingest/state.json")->find("\"command_log_key\""), std::string::npos);
}

TEST(StateStoreTest, CorruptFileIsDataLossAndUnknownFieldsAreKeptOut) {
  env::MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("d").ok());
  fs.SetContents("d/state.json", "{not json");
  StateStore store(&fs, "d");
  EXPECT_EQ(store.Load().code(), absl::StatusCode::kDataLoss);
  fs.SetContents("d/state.json", R"({"format": 1, "from_the_future": 3, "receipt_log_key": "ab"})");
  ASSERT_TRUE(store.Load().ok());
  EXPECT_EQ(store.Get().receipt_log_key(), "ab");
  fs.SetContents("d/state.json", R"({"format": 9})");
  EXPECT_EQ(store.Load().code(), absl::StatusCode::kDataLoss);
}

TEST(StateStoreTest, AFailedCommitKeepsTheCurrentState) {
  env::MemFileSystem mem;
  env::FaultFileSystem fs(&mem);
  StateStore store(&fs, "d");
  ASSERT_TRUE(store.Load().ok());
  IngestState state;
  state.set_receipt_log_key("one");
  ASSERT_TRUE(store.Commit(state).ok());
  fs.FailWriteNumber(fs.writes());
  state.set_receipt_log_key("two");
  EXPECT_FALSE(store.Commit(state).ok());
  EXPECT_EQ(store.Get().receipt_log_key(), "one");
  StateStore reopened(&mem, "d");
  ASSERT_TRUE(reopened.Load().ok());
  EXPECT_EQ(reopened.Get().receipt_log_key(), "one");
}

}  // namespace
}  // namespace evermirror::ingest
