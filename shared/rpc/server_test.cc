#include "shared/rpc/server.h"

#include <stdlib.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"
#include "shared/rpc/testing/echo_service.h"
#include "shared/rpc/testing/reflection_client.h"

namespace evermirror::rpc {
namespace {

using ::evermirror::testing::v1::EchoRequest;
using ::evermirror::testing::v1::EchoResponse;
using ::evermirror::testing::v1::EchoService;
using ::evermirror::testing::v1::EchoStreamRequest;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

constexpr absl::Duration kTimeout = absl::Seconds(10);
const std::string kEcho = EchoService::service_full_name();

// A fresh directory for unix sockets, removed with its contents at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/em-rpc-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    unlink(Sock().c_str());
    rmdir(path_.c_str());
  }
  std::string Sock() const { return path_ + "/admin.sock"; }

 private:
  std::string path_;
};

class ServerTest : public ::testing::Test {
 protected:
  std::unique_ptr<GrpcServer> Start(ServerOptions options = {}) {
    absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, {{&echo_, kEcho}});
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }
  static std::shared_ptr<grpc::Channel> Channel(const std::string& address) { return *MakeChannel(address); }
  static absl::StatusOr<std::string> Echo(const std::shared_ptr<grpc::Channel>& channel, EchoRequest request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    EchoResponse response;
    absl::Status s = FromGrpcStatus(EchoService::NewStub(channel)->Echo(&context, request, &response));
    if (!s.ok()) return s;
    return response.message();
  }
  static EchoRequest Say(std::string message) {
    EchoRequest r;
    r.set_message(std::move(message));
    return r;
  }

  testing::EchoServiceImpl echo_;
};

TEST_F(ServerTest, ServesOnLoopbackPortZeroAndReportsTheBoundPort) {
  std::unique_ptr<GrpcServer> server = Start();
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  EXPECT_THAT(server->addresses(), ElementsAre(absl::StrCat("127.0.0.1:", server->port())));
  EXPECT_EQ(*Echo(Channel(server->addresses()[0]), Say("hello")), "hello");
}

TEST_F(ServerTest, ServesOnAUnixSocketAloneOrBesideTcp) {
  TempDir dir;
  ServerOptions options;
  options.listen_address = absl::StrCat("unix:", dir.Sock());
  std::unique_ptr<GrpcServer> server = Start(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->port(), 0);
  EXPECT_THAT(server->addresses(), ElementsAre(absl::StrCat("unix:", dir.Sock())));
  EXPECT_EQ(*Echo(Channel(server->addresses()[0]), Say("over unix")), "over unix");
  server.reset();

  options.listen_address = "127.0.0.1:0";
  options.unix_socket = dir.Sock();
  server = Start(options);
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(server->addresses().size(), 2u);
  EXPECT_EQ(*Echo(Channel(server->addresses()[0]), Say("tcp")), "tcp");
  EXPECT_EQ(*Echo(Channel(server->addresses()[1]), Say("unix")), "unix");
}

TEST_F(ServerTest, HealthIsServingPerServiceAndSettable) {
  std::unique_ptr<GrpcServer> server = Start();
  ASSERT_NE(server, nullptr);
  auto channel = Channel(server->addresses()[0]);
  EXPECT_TRUE(CheckHealth(channel, "", kTimeout).ok());
  EXPECT_TRUE(CheckHealth(channel, kEcho, kTimeout).ok());
  EXPECT_EQ(CheckHealth(channel, "no.such.Service", kTimeout).code(), absl::StatusCode::kNotFound);

  server->SetServing(kEcho, false);
  absl::Status down = CheckHealth(channel, kEcho, kTimeout);
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(down.message(), HasSubstr("NOT_SERVING"));
  EXPECT_TRUE(CheckHealth(channel, "", kTimeout).ok());
  server->SetServing(kEcho, true);
  EXPECT_TRUE(CheckHealth(channel, kEcho, kTimeout).ok());
}

TEST_F(ServerTest, ReflectionListsAndDescribesTheServiceAndHealth) {
  std::unique_ptr<GrpcServer> server = Start();
  ASSERT_NE(server, nullptr);
  auto channel = Channel(server->addresses()[0]);
  absl::StatusOr<std::vector<std::string>> services = testing::ListServicesByReflection(channel, kTimeout);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, IsSupersetOf({kEcho, std::string("grpc.health.v1.Health"),
                                       std::string("grpc.reflection.v1alpha.ServerReflection")}));
  EXPECT_THAT(*testing::MethodsByReflection(channel, kEcho, kTimeout), ElementsAre("Echo", "EchoStream"));
  EXPECT_THAT(*testing::MethodsByReflection(channel, "grpc.health.v1.Health", kTimeout), ElementsAre("Check", "Watch"));
}

TEST_F(ServerTest, StatusCodesCrossTheWireThroughTheTranslation) {
  std::unique_ptr<GrpcServer> server = Start();
  ASSERT_NE(server, nullptr);
  EchoRequest request = Say("no such feed");
  request.set_fail_code(static_cast<int>(absl::StatusCode::kNotFound));
  absl::StatusOr<std::string> reply = Echo(Channel(server->addresses()[0]), request);
  EXPECT_EQ(reply.status(), absl::NotFoundError("no such feed"));
}

TEST_F(ServerTest, StreamsNumberedResponses) {
  std::unique_ptr<GrpcServer> server = Start();
  ASSERT_NE(server, nullptr);
  EchoStreamRequest request;
  request.set_message("tick");
  request.set_count(3);
  grpc::ClientContext context;
  auto reader = EchoService::NewStub(Channel(server->addresses()[0]))->EchoStream(&context, request);
  std::vector<int> sequence;
  EchoResponse response;
  while (reader->Read(&response)) sequence.push_back(response.sequence());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_THAT(sequence, ElementsAre(1, 2, 3));
}

TEST_F(ServerTest, RefusesNonLoopbackAdminAddressUnlessAllowed) {
  ServerOptions options;
  options.listen_address = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, {{&echo_, kEcho}});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("admin_address: 0.0.0.0:0 is not a loopback address"));
  EXPECT_THAT(server.status().message(), HasSubstr("allow_remote_admin"));
  options.allow_remote_admin = true;
  EXPECT_TRUE(options.Validate().ok());
}

TEST_F(ServerTest, ValidateNamesTheField) {
  ServerOptions options;
  options.listen_address = "";
  EXPECT_THAT(options.Validate().message(), HasSubstr("nothing to listen on"));
  options.listen_address = "127.0.0.1:0";
  options.max_message_bytes = 10;
  EXPECT_THAT(options.Validate().message(), HasSubstr("max_message_size"));
}

TEST_F(ServerTest, TakenPortIsAnError) {
  std::unique_ptr<GrpcServer> first = Start();
  ASSERT_NE(first, nullptr);
  ServerOptions options;
  options.listen_address = first->addresses()[0];
  absl::StatusOr<std::unique_ptr<GrpcServer>> second = GrpcServer::Start(options, {{&echo_, kEcho}});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(first->addresses()[0]));
  EXPECT_THAT(second.status().message(), HasSubstr("Address already in use"));
}

TEST_F(ServerTest, MissingSocketDirectoryIsAnError) {
  ServerOptions options;
  options.unix_socket = "/nonexistent-dir/admin.sock";
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, {{&echo_, kEcho}});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server.status().message(), HasSubstr("/nonexistent-dir/admin.sock: No such file or directory"));
}

TEST_F(ServerTest, EnforcesTheMaximumMessageSize) {
  ServerOptions options;
  options.max_message_bytes = 4096;
  std::unique_ptr<GrpcServer> server = Start(options);
  ASSERT_NE(server, nullptr);
  auto channel = Channel(server->addresses()[0]);
  EXPECT_TRUE(Echo(channel, Say(std::string(1000, 'x'))).ok());
  EXPECT_EQ(Echo(channel, Say(std::string(8000, 'x'))).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(ServerTest, GracefulShutdownLetsCallsInFlightFinish) {
  std::unique_ptr<GrpcServer> server = Start();
  ASSERT_NE(server, nullptr);
  auto channel = Channel(server->addresses()[0]);
  auto stub = EchoService::NewStub(channel);
  grpc::ClientContext held_context;
  EchoRequest held_request = Say("finished during shutdown");
  held_request.set_hold(true);
  EchoResponse held_response;
  grpc::Status held_status;
  absl::Notification held_done;
  stub->async()->Echo(&held_context, &held_request, &held_response, [&](grpc::Status s) {
    held_status = std::move(s);
    held_done.Notify();
  });
  ASSERT_TRUE(echo_.WaitForHeld(1, kTimeout));

  absl::Notification shutdown_done;
  std::thread stopper([&] {
    server->Shutdown(absl::Seconds(60));
    shutdown_done.Notify();
  });
  // New calls are refused once shutdown has begun...
  absl::Status refused;
  for (int i = 0; i < 200 && refused.ok(); ++i) refused = Echo(channel, Say("late")).status();
  // (UNAVAILABLE once the client has seen GOAWAY; CANCELLED if the call raced it.)
  EXPECT_THAT(refused.code(), AnyOf(absl::StatusCode::kUnavailable, absl::StatusCode::kCancelled)) << refused;
  // ...while the call in flight is still waited for.
  EXPECT_FALSE(shutdown_done.HasBeenNotified());
  EXPECT_FALSE(held_done.HasBeenNotified());

  echo_.ReleaseHeld();
  ASSERT_TRUE(held_done.WaitForNotificationWithTimeout(kTimeout));
  EXPECT_TRUE(held_status.ok()) << held_status.error_message();
  EXPECT_EQ(held_response.message(), "finished during shutdown");
  EXPECT_TRUE(shutdown_done.WaitForNotificationWithTimeout(kTimeout));  // long before the 60 s grace
  stopper.join();
  server->Shutdown(absl::Seconds(1));  // idempotent
}

TEST_F(ServerTest, ShutdownCancelsStreamsStillOpenAfterTheGracePeriod) {
  std::unique_ptr<GrpcServer> server = Start();
  ASSERT_NE(server, nullptr);
  EchoStreamRequest request;
  request.set_count(2);
  request.set_hold_open(true);
  grpc::ClientContext context;
  auto reader = EchoService::NewStub(Channel(server->addresses()[0]))->EchoStream(&context, request);
  EchoResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(echo_.WaitForOpenStreams(1, kTimeout));

  server->Shutdown(absl::Milliseconds(100));
  EXPECT_TRUE(echo_.WaitForOpenStreams(0, kTimeout));
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_FALSE(reader->Finish().ok());
}

}  // namespace
}  // namespace evermirror::rpc
