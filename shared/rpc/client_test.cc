#include "shared/rpc/client.h"

#include <stdlib.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "shared/rpc/server.h"
#include "shared/rpc/status.h"
#include "shared/rpc/testing/echo_service.h"

namespace evermirror::rpc {
namespace {

using ::evermirror::testing::v1::EchoRequest;
using ::evermirror::testing::v1::EchoResponse;
using ::evermirror::testing::v1::EchoService;
using ::testing::HasSubstr;

const std::string kEcho = EchoService::service_full_name();

TEST(ClientTest, RejectsMalformedAddresses) {
  EXPECT_EQ(MakeChannel("no-port").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(MakeChannel("127.0.0.1:1").ok());
  EXPECT_TRUE(MakeChannel("unix:/tmp/x.sock").ok());
}

TEST(ClientTest, ConnectsAndChecksHealth) {
  testing::EchoServiceImpl echo;
  auto server = GrpcServer::Start({}, {{&echo, kEcho}});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = *MakeChannel((*server)->addresses()[0]);
  EXPECT_TRUE(WaitForConnected(*channel, absl::Seconds(10)).ok());
  EXPECT_TRUE(CheckHealth(channel, kEcho, absl::Seconds(10)).ok());
}

TEST(ClientTest, WaitForConnectedTimesOutWhenNobodyListens) {
  char dir[] = "/tmp/em-client-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  auto channel = *MakeChannel(absl::StrCat("unix:", dir, "/nobody.sock"));
  absl::Status s = WaitForConnected(*channel, absl::Milliseconds(300));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(s.message(), HasSubstr("not connected after 300ms"));
  rmdir(dir);
}

// Services start in any order: a call prepared with PrepareContext waits for its peer.
TEST(ClientTest, PreparedCallWaitsForAPeerThatStartsLater) {
  char dir[] = "/tmp/em-client-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string sock = absl::StrCat(dir, "/late.sock");
  ChannelOptions fast;
  fast.initial_reconnect_backoff = absl::Milliseconds(20);
  fast.max_reconnect_backoff = absl::Milliseconds(100);
  auto channel = *MakeChannel(absl::StrCat("unix:", sock), fast);

  grpc::Status status;
  EchoResponse response;
  std::thread caller([&] {
    grpc::ClientContext context;
    PrepareContext(&context, absl::Seconds(20));
    EchoRequest request;
    request.set_message("you're up");
    status = EchoService::NewStub(channel)->Echo(&context, request, &response);
  });
  // Let the first connection attempt fail before the peer appears.
  EXPECT_EQ(WaitForConnected(*channel, absl::Milliseconds(200)).code(), absl::StatusCode::kDeadlineExceeded);

  testing::EchoServiceImpl echo;
  ServerOptions options;
  options.listen_address = absl::StrCat("unix:", sock);
  auto server = GrpcServer::Start(options, {{&echo, kEcho}});
  ASSERT_TRUE(server.ok()) << server.status();
  caller.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.message(), "you're up");
  server->reset();
  unlink(sock.c_str());
  rmdir(dir);
}

TEST(ClientTest, PreparedCallGivesUpAtItsDeadline) {
  char dir[] = "/tmp/em-client-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  auto channel = *MakeChannel(absl::StrCat("unix:", dir, "/never.sock"));
  grpc::ClientContext context;
  PrepareContext(&context, absl::Milliseconds(200));
  EchoResponse response;
  absl::Status s = FromGrpcStatus(EchoService::NewStub(channel)->Echo(&context, EchoRequest(), &response));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  rmdir(dir);
}

}  // namespace
}  // namespace evermirror::rpc
