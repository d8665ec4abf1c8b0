#include "shared/config/schema.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evermirror::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RawValue Integer(int64_t n) {
  RawValue v;
  v.kind = RawValue::Kind::kInteger;
  v.integer = n;
  return v;
}

RawValue FileString(std::string s) {
  RawValue v;
  v.kind = RawValue::Kind::kString;
  v.text = std::move(s);
  return v;
}

struct Fields {
  std::string label = "box";
  std::string mode = "fast";
  uint16_t port = 7300;
  int peers = 64;
  bool seed = true;
  absl::Duration interval = absl::Minutes(5);
  uint64_t cache = 64u << 20;
  std::vector<std::string> peers_list = {"a:1"};
  std::string address = "127.0.0.1:7301";
};

class SchemaTest : public ::testing::Test {
 protected:
  SchemaTest() {
    section_.String("label", &f_.label, "A label.")
        .Choice("mode", &f_.mode, {"fast", "safe"}, "Mode.")
        .Int("port", &f_.port, 0, 65535, "Port.")
        .Int("peers", &f_.peers, 1, 1000, "Peers.")
        .Bool("seed", &f_.seed, "Seed.")
        .Duration("interval", &f_.interval, "Interval.")
        .Size("cache", &f_.cache, "Cache.")
        .StringList("static_peers", &f_.peers_list, "Peers list.")
        .Address("admin_address", &f_.address, "Admin.");
  }
  absl::Status Set(std::string_view key, const RawValue& v) { return section_.Find(key)->Set(v); }

  Fields f_;
  Section section_{"replicator", "Test section."};
};

TEST_F(SchemaTest, RecordsDefaultsAsText) {
  EXPECT_EQ(section_.Find("interval")->default_text(), "5m");
  EXPECT_EQ(section_.Find("cache")->default_text(), "64MiB");
  EXPECT_EQ(section_.Find("seed")->default_text(), "true");
  EXPECT_EQ(section_.Find("static_peers")->default_text(), "a:1");
  EXPECT_EQ(section_.Find("peers")->constraint(), "1..1000");
  EXPECT_EQ(section_.Find("mode")->constraint(), "fast|safe");
  EXPECT_EQ(section_.Find("nope"), nullptr);
  EXPECT_EQ(section_.options().size(), 9u);
}

TEST_F(SchemaTest, EnvironmentNamesAreUpperCase) {
  EXPECT_EQ(section_.EnvName("max_peers"), "EVERMIRROR_REPLICATOR_MAX_PEERS");
}

TEST_F(SchemaTest, SetsEveryTypeFromText) {
  ASSERT_TRUE(Set("label", RawValue::Text("x")).ok());
  ASSERT_TRUE(Set("mode", RawValue::Text("safe")).ok());
  ASSERT_TRUE(Set("port", RawValue::Text("8080")).ok());
  ASSERT_TRUE(Set("seed", RawValue::Text("false")).ok());
  ASSERT_TRUE(Set("interval", RawValue::Text("90s")).ok());
  ASSERT_TRUE(Set("cache", RawValue::Text("1GiB")).ok());
  ASSERT_TRUE(Set("static_peers", RawValue::Text("x:1, y:2")).ok());
  ASSERT_TRUE(Set("admin_address", RawValue::Text("unix:///run/r.sock")).ok());
  EXPECT_EQ(f_.label, "x");
  EXPECT_EQ(f_.mode, "safe");
  EXPECT_EQ(f_.port, 8080);
  EXPECT_FALSE(f_.seed);
  EXPECT_EQ(f_.interval, absl::Seconds(90));
  EXPECT_EQ(f_.cache, 1ull << 30);
  EXPECT_THAT(f_.peers_list, ElementsAre("x:1", "y:2"));
  EXPECT_EQ(f_.address, "unix:/run/r.sock");  // canonical form
  EXPECT_EQ(section_.Find("interval")->CurrentText(), "1m30s");
}

TEST_F(SchemaTest, SetsFromTypedFileValues) {
  ASSERT_TRUE(Set("peers", Integer(5)).ok());
  ASSERT_TRUE(Set("cache", Integer(4096)).ok());
  ASSERT_TRUE(Set("interval", FileString("1h")).ok());
  EXPECT_EQ(f_.peers, 5);
  EXPECT_EQ(f_.cache, 4096u);
  EXPECT_EQ(f_.interval, absl::Hours(1));
}

TEST_F(SchemaTest, WrongTypesSayWhatWasExpected) {
  EXPECT_THAT(Set("peers", FileString("ten")).message(), HasSubstr("expected an integer, got string \"ten\""));
  EXPECT_THAT(Set("peers", RawValue::Text("ten")).message(), HasSubstr("expected an integer, got \"ten\""));
  EXPECT_THAT(Set("label", Integer(3)).message(), HasSubstr("expected a string, got integer 3"));
  EXPECT_THAT(Set("interval", Integer(30)).message(), HasSubstr("expected a duration string"));
  EXPECT_THAT(Set("seed", FileString("yes")).message(), HasSubstr("expected true or false"));
  EXPECT_THAT(Set("static_peers", FileString("a,b")).message(), HasSubstr("expected an array of strings"));
  EXPECT_THAT(Set("mode", RawValue::Text("slow")).message(), HasSubstr("expected one of fast|safe"));
  EXPECT_THAT(Set("cache", Integer(-1)).message(), HasSubstr("not negative"));
  EXPECT_THAT(Set("admin_address", RawValue::Text("nowhere")).message(), HasSubstr("missing \":port\""));
  EXPECT_EQ(f_.peers, 64);  // failed sets leave fields alone
  EXPECT_EQ(f_.label, "box");
}

TEST_F(SchemaTest, EnforcesIntegerRanges) {
  EXPECT_THAT(Set("peers", Integer(0)).message(), HasSubstr("must be between 1 and 1000, got 0"));
  EXPECT_THAT(Set("port", RawValue::Text("70000")).message(), HasSubstr("between 0 and 65535"));
  EXPECT_EQ(f_.port, 7300);
}

TEST_F(SchemaTest, EmptyAddressTurnsAListenerOff) {
  ASSERT_TRUE(Set("admin_address", RawValue::Text("")).ok());
  EXPECT_EQ(f_.address, "");
}

TEST(SchemaDeathTest, DuplicateKeysAreABug) {
  std::string a;
  Section section("gateway", "x");
  section.String("k", &a, "help");
  EXPECT_DEATH(section.String("k", &a, "help"), "declared twice");
  EXPECT_DEATH(section.String("Bad-Key", &a, "help"), "option keys are");
  int n = 5;
  EXPECT_DEATH(section.Int("n", &n, 10, 20, "help"), "default is outside the range");
}

}  // namespace
}  // namespace evermirror::config
