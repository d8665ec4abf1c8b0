#include "services/replicator/socket_util.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace evermirror::replicator {
namespace {

TEST(SocketUtilTest, ParsesHostPort) {
  auto hp = ParseHostPort("10.0.0.1:3282");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "10.0.0.1");
  EXPECT_EQ(hp->port, 3282);
  EXPECT_FALSE(ParseHostPort("nohost").ok());
  EXPECT_FALSE(ParseHostPort(":80").ok());
  EXPECT_FALSE(ParseHostPort("a:99999").ok());
  EXPECT_FALSE(ParseHostPort("a:port").ok());
}

TEST(SocketUtilTest, OnlyIpv4LiteralsAndLocalhostResolve) {
  EXPECT_TRUE(ToSockaddr({"127.0.0.1", 1}).ok());
  EXPECT_TRUE(ToSockaddr({"localhost", 1}).ok());
  EXPECT_EQ(ToSockaddr({"example.org", 1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FormatSockaddr(ToSockaddr({"127.0.0.1", 80}).value()), "127.0.0.1:80");
}

TEST(SocketUtilTest, ListenReportsThePortAndRefusesATakenOne) {
  uint16_t port = 0;
  auto fd = ListenTcp({"127.0.0.1", 0}, 4, &port);
  ASSERT_TRUE(fd.ok());
  EXPECT_GT(port, 0);
  uint16_t again = 0;
  EXPECT_EQ(ListenTcp({"127.0.0.1", port}, 4, &again).status().code(), absl::StatusCode::kUnavailable);
  ::close(*fd);
}

}  // namespace
}  // namespace evermirror::replicator
