#include "shared/config/address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evermirror::config {
namespace {

using ::testing::HasSubstr;

TEST(AddressTest, ParsesHostPortAndPrintsItBack) {
  absl::StatusOr<Address> a = ParseAddress("127.0.0.1:7300");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, Address::Kind::kTcp);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 7300);
  EXPECT_EQ(a->ToString(), "127.0.0.1:7300");
}

TEST(AddressTest, ParsesBracketedIpv6) {
  absl::StatusOr<Address> a = ParseAddress("[::1]:0");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  EXPECT_EQ(a->ToString(), "[::1]:0");
}

TEST(AddressTest, ParsesUnixSocketsInBothSpellings) {
  for (const char* text : {"unix:/run/em/replicator.sock", "unix:///run/em/replicator.sock"}) {
    absl::StatusOr<Address> a = ParseAddress(text);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->kind, Address::Kind::kUnix);
    EXPECT_EQ(a->path, "/run/em/replicator.sock");
    EXPECT_EQ(a->ToString(), "unix:/run/em/replicator.sock");
  }
}

TEST(AddressTest, RejectsMalformedAddressesWithAReason) {
  EXPECT_THAT(ParseAddress("localhost").status().message(), HasSubstr("missing \":port\""));
  EXPECT_THAT(ParseAddress("localhost:99999").status().message(), HasSubstr("out of range"));
  EXPECT_THAT(ParseAddress("localhost:http").status().message(), HasSubstr("bad port"));
  EXPECT_THAT(ParseAddress(":80").status().message(), HasSubstr("missing host"));
  EXPECT_THAT(ParseAddress("::1:80").status().message(), HasSubstr("brackets"));
  EXPECT_THAT(ParseAddress("[zz]:80").status().message(), HasSubstr("not an IPv6"));
  EXPECT_THAT(ParseAddress("unix:").status().message(), HasSubstr("empty unix socket path"));
  EXPECT_EQ(ParseAddress("a b:1").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AddressTest, KnowsWhatIsLoopback) {
  for (const char* text : {"127.0.0.1:1", "127.8.9.10:1", "localhost:1", "LocalHost:1", "[::1]:1",
                           "[::ffff:127.0.0.1]:1", "unix:/x"}) {
    EXPECT_TRUE(ParseAddress(text)->IsLoopback()) << text;
  }
  for (const char* text : {"0.0.0.0:1", "[::]:1", "10.0.0.1:1", "192.168.1.2:1", "example.org:1", "128.0.0.1:1"}) {
    EXPECT_FALSE(ParseAddress(text)->IsLoopback()) << text;
  }
}

}  // namespace
}  // namespace evermirror::config
