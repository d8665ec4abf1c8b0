#include "shared/dht/bencode.h"

#include <string>

#include "gtest/gtest.h"

namespace evermirror::dht::bencode {
namespace {

using namespace std::string_view_literals;

TEST(BencodeTest, DecodesEveryKind) {
  absl::StatusOr<Value> v = Decode("d1:ai-42e1:bl3:fooi0ee1:cd0:0:ee");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->FindInt("a"), -42);
  const Value::List* b = v->FindList("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].as_string(), "foo");
  EXPECT_EQ((*b)[1].as_int(), 0);
  const Value* c = v->FindDict("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c->FindString(""), "");
}

TEST(BencodeTest, EncodesWithSortedKeysAndRoundTrips) {
  Value::Dict d;
  d["zeta"] = Value(1);
  d["alpha"] = Value(Value::List{Value("x"), Value(int64_t{-7})});
  d["b"] = Value(std::string("\0\xff", 2));
  const std::string encoded = Encode(Value(d));
  EXPECT_EQ(encoded, "d5:alphal1:xi-7ee1:b2:\0\xff" "4:zetai1ee"sv);
  absl::StatusOr<Value> back = Decode(encoded);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, Value(d));
}

TEST(BencodeTest, HandlesInt64Extremes) {
  EXPECT_EQ(Decode("i9223372036854775807e")->as_int(), INT64_MAX);
  EXPECT_EQ(Decode("i-9223372036854775808e")->as_int(), INT64_MIN);
  EXPECT_EQ(Encode(Value(INT64_MIN)), "i-9223372036854775808e");
  EXPECT_FALSE(Decode("i9223372036854775808e").ok());
  EXPECT_FALSE(Decode("i-9223372036854775809e").ok());
}

TEST(BencodeTest, RejectsNonCanonicalOrBrokenInput) {
  const char* bad[] = {
      "",          "i01e",     "i-0e",       "ie",        "i-e",     "i1",       "i+1e",     "03:abc",
      "4:abc",     "1:ab",     "l",          "d",         "d1:a",    "di1ei2ee", "d1:bi1e1:ai2ee",
      "d1:ai1e1:ai2ee",        "x",          "i1ei2e",    "le1",     "-1:a",     "1a",       "d1:ae",
      "99999999999999999999999:a",
  };
  for (const char* input : bad) {
    EXPECT_FALSE(Decode(input).ok()) << "accepted \"" << input << "\"";
  }
}

TEST(BencodeTest, EnforcesDepthLimit) {
  DecodeLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(Decode("llleee", limits).ok());
  absl::StatusOr<Value> deep = Decode("lllleeee", limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("deep"), absl::string_view::npos);
  // Deep nesting far beyond the limit must fail fast, not overflow the stack.
  EXPECT_FALSE(Decode(std::string(100000, 'l') + std::string(100000, 'e'), DecodeLimits{1 << 20, 16, 1024, 1 << 20}).ok());
}

TEST(BencodeTest, EnforcesSizeAndCountLimits) {
  DecodeLimits limits;
  limits.max_input_bytes = 10;
  EXPECT_FALSE(Decode("11:hello world", limits).ok());
  limits = DecodeLimits();
  limits.max_container_entries = 3;
  EXPECT_TRUE(Decode("li1ei2ei3ee", limits).ok());
  EXPECT_FALSE(Decode("li1ei2ei3ei4ee", limits).ok());
  EXPECT_FALSE(Decode("d1:ai1e1:bi1e1:ci1e1:di1ee", limits).ok());
  limits = DecodeLimits();
  limits.max_values = 4;
  EXPECT_TRUE(Decode("li1ei2ei3ee", limits).ok());
  EXPECT_FALSE(Decode("li1ei2ei3ei4ee", limits).ok());
}

TEST(BencodeTest, FindHelpersCheckTypes) {
  absl::StatusOr<Value> v = Decode("d1:ai1e1:b1:xe");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->FindString("a"), nullptr);
  EXPECT_FALSE(v->FindInt("b").has_value());
  EXPECT_EQ(v->FindList("a"), nullptr);
  EXPECT_EQ(v->FindDict("missing"), nullptr);
  EXPECT_EQ(Value(1).Find("a"), nullptr);
}

}  // namespace
}  // namespace evermirror::dht::bencode
