#include "services/ingest/command_codec.h"

#include "gtest/gtest.h"
#include "services/ingest/testing/test_commands.h"

namespace evermirror::ingest {
namespace {

using testing::NewCommand;
using testing::RandomKey;

TEST(CommandCodecTest, DecodesAndNormalizesAValidCommand) {
  const std::string site = RandomKey();
  cmd::Command c = NewCommand(absl::Now(), {RandomKey()});
  c.mutable_mirror_add()->set_site_key("dat://" + site);
  c.mutable_mirror_add()->set_alias("Blog.Example.org");
  cmd::Command out;
  Rejection r = DecodeCommand(c.SerializeAsString(), &out);
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(out.mirror_add().site_key(), site);
  EXPECT_EQ(out.mirror_add().alias(), "blog.example.org");
}

TEST(CommandCodecTest, GarbageIsMalformed) {
  cmd::Command out;
  EXPECT_EQ(DecodeCommand("\xff\xff\xff", &out).kind, RejectKind::kMalformed);
  EXPECT_EQ(DecodeCommand(std::string(kMaxCommandBytes + 1, 'a'), &out).kind, RejectKind::kMalformed);
}

TEST(CommandCodecTest, MissingIdOrTimeIsMalformed) {
  cmd::Command c = NewCommand(absl::Now());
  c.mutable_unpin()->set_site_key(RandomKey());
  cmd::Command no_id = c;
  no_id.clear_id();
  cmd::Command out;
  EXPECT_EQ(DecodeCommand(no_id.SerializeAsString(), &out).kind, RejectKind::kMalformed);
  cmd::Command no_time = c;
  no_time.clear_issued_at();
  EXPECT_EQ(DecodeCommand(no_time.SerializeAsString(), &out).kind, RejectKind::kMalformed);
  cmd::Command bad_to = c;
  bad_to.add_to("nope");
  EXPECT_EQ(DecodeCommand(bad_to.SerializeAsString(), &out).kind, RejectKind::kMalformed);
}

TEST(CommandCodecTest, ABodyFromANewerVersionIsUnknown) {
  cmd::Command c = NewCommand(absl::Now());
  std::string block = c.SerializeAsString();
  block += std::string("\xca\x01\x02\x08\x01", 5);  // field 25 (length-delimited): not known here
  cmd::Command out;
  const Rejection r = DecodeCommand(block, &out);
  EXPECT_EQ(r.kind, RejectKind::kUnknown) << r.reason;
}

TEST(CommandCodecTest, BadFieldsAreMalformed) {
  cmd::Command out;
  cmd::Command bad_key = NewCommand(absl::Now());
  bad_key.mutable_mirror_remove()->set_site_key("abc");
  EXPECT_EQ(DecodeCommand(bad_key.SerializeAsString(), &out).kind, RejectKind::kMalformed);
  cmd::Command bad_alias = NewCommand(absl::Now());
  bad_alias.mutable_set_alias()->set_alias("-bad-");
  bad_alias.mutable_set_alias()->set_site_key(RandomKey());
  EXPECT_EQ(DecodeCommand(bad_alias.SerializeAsString(), &out).kind, RejectKind::kMalformed);
  cmd::Command no_scope = NewCommand(absl::Now());
  no_scope.mutable_authorize()->set_controller_key(RandomKey());
  EXPECT_EQ(DecodeCommand(no_scope.SerializeAsString(), &out).kind, RejectKind::kMalformed);
  cmd::Command bad_mode = NewCommand(absl::Now());
  bad_mode.mutable_mirror_add()->set_site_key(RandomKey());
  bad_mode.mutable_mirror_add()->set_mode(static_cast<cmd::Mode>(7));
  EXPECT_EQ(DecodeCommand(bad_mode.SerializeAsString(), &out).kind, RejectKind::kMalformed);
}

TEST(CommandCodecTest, Aliases) {
  EXPECT_EQ(NormalizeAlias("Blog").value(), "blog");
  EXPECT_EQ(NormalizeAlias("a-b.c9").value(), "a-b.c9");
  EXPECT_FALSE(NormalizeAlias("").ok());
  EXPECT_FALSE(NormalizeAlias("a..b").ok());
  EXPECT_FALSE(NormalizeAlias("a_b").ok());
  EXPECT_FALSE(NormalizeAlias("-a").ok());
  EXPECT_FALSE(NormalizeAlias(std::string(64, 'a')).ok());
}

TEST(CommandCodecTest, HeadersAndReceiptsRoundTrip) {
  EXPECT_EQ(DecodeHeader(EncodeHeader(kCommandsLogType, "pi"), kCommandsLogType).value(), "pi");
  EXPECT_FALSE(DecodeHeader(EncodeHeader(kReceiptsLogType, "pi"), kCommandsLogType).ok());
  cmd::Receipt r;
  r.mutable_command()->set_index(3);
  EXPECT_EQ(DecodeReceipt(EncodeReceipt(r))->command().index(), 3u);
  EXPECT_EQ(DecodeReceipt("\xff").status().code(), absl::StatusCode::kDataLoss);
}

TEST(CommandCodecTest, TimestampsConvertOverTheWholeRange) {
  const absl::Time t = absl::FromUnixSeconds(253402300799) + absl::Nanoseconds(5);
  EXPECT_EQ(ToTime(ToStamp(t)), t);
  const absl::Time before_1970 = absl::FromUnixMillis(-1500);
  EXPECT_EQ(ToTime(ToStamp(before_1970)), before_1970);
  EXPECT_GE(ToStamp(before_1970).nanos(), 0);
}

}  // namespace
}  // namespace evermirror::ingest
