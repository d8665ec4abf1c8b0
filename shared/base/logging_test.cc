#include "shared/base/logging.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace evermirror::log {
namespace {

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSinkForTest([this](std::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    SetSinkForTest(nullptr);
    Configure(Level::kInfo, Format::kKeyValue, "");
  }
  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, KeyValueLineQuotesOnlyWhenNeeded) {
  Configure(Level::kInfo, Format::kKeyValue, "replicator");
  Info("peer_connected").Kv("addr", "127.0.0.1:3282").Kv("feeds", 3).Kv("note", "two words");
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& l = lines_[0];
  EXPECT_NE(l.find("level=info service=replicator event=peer_connected addr=127.0.0.1:3282 feeds=3 "
                   "note=\"two words\"\n"),
            std::string::npos)
      << l;
  EXPECT_EQ(l.rfind("ts=", 0), 0u);
}

TEST_F(LoggingTest, JsonLineEscapesControlCharacters) {
  Configure(Level::kDebug, Format::kJson, "gateway");
  Debug("request").Kv("path", "/a\"b\n").Kv("ok", true);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("\"path\":\"/a\\\"b\\n\",\"ok\":\"true\"}"), std::string::npos) << lines_[0];
  EXPECT_EQ(lines_[0].front(), '{');
}

TEST_F(LoggingTest, BelowMinimumLevelIsDropped) {
  Configure(Level::kWarn, Format::kKeyValue, "");
  Info("ignored").Kv("x", 1);
  Warn("kept");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("event=kept"), std::string::npos);
}

TEST(LoggingParseTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(ParseLevel("warn"), Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud").has_value());
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseFormat("xml").has_value());
}

}  // namespace
}  // namespace evermirror::log
