#include "shared/rpc/server_metrics.h"

#include "gmock/gmock.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/rpc/client.h"
#include "shared/rpc/server.h"
#include "shared/rpc/testing/echo_service.h"

namespace evermirror::rpc {
namespace {

using ::evermirror::testing::v1::EchoRequest;
using ::evermirror::testing::v1::EchoResponse;
using ::evermirror::testing::v1::EchoService;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ServerMetricsTest, CountsAndTimesEveryRpcByMethodAndCode) {
  metrics::Registry registry("testing");
  env::SimClock clock;  // frozen: every call takes 0 s
  testing::EchoServiceImpl echo;
  auto server = GrpcServer::Start({}, {{&echo, EchoService::service_full_name()}}, &registry, &clock);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = EchoService::NewStub(*MakeChannel((*server)->addresses()[0]));
  for (int fail_code : {0, 0, 5}) {
    grpc::ClientContext context;
    EchoRequest request;
    request.set_fail_code(fail_code);
    EchoResponse response;
    stub->Echo(&context, request, &response);
  }
  // A method the server does not have is counted under "unknown", whatever its name.
  grpc::GenericStub generic(*MakeChannel((*server)->addresses()[0]));
  for (const char* bogus : {"/no.Such/Method", "/another.Bogus/Name"}) {
    grpc::ClientContext context;
    absl::Notification done;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    generic.UnaryCall(&context, bogus, grpc::StubOptions(), &request, &response, [&](grpc::Status) { done.Notify(); });
    done.WaitForNotification();
  }
  (*server)->Shutdown(absl::Seconds(5));  // every status has been sent

  const std::string text = registry.ExpositionText();
  EXPECT_THAT(text, HasSubstr("evermirror_testing_grpc_server_handled_total{code=\"OK\",method="
                              "\"evermirror.testing.v1.EchoService/Echo\"} 2"));
  EXPECT_THAT(text, HasSubstr("evermirror_testing_grpc_server_handled_total{code=\"NOT_FOUND\",method="
                              "\"evermirror.testing.v1.EchoService/Echo\"} 1"));
  EXPECT_THAT(text, HasSubstr("evermirror_testing_grpc_server_handling_seconds_count{method="
                              "\"evermirror.testing.v1.EchoService/Echo\"} 3"));
  EXPECT_THAT(text, HasSubstr("evermirror_testing_grpc_server_handling_seconds_bucket{method="
                              "\"evermirror.testing.v1.EchoService/Echo\",le=\"0.0005\"} 3"));
  EXPECT_THAT(text, HasSubstr("evermirror_testing_grpc_server_handled_total{code=\"UNIMPLEMENTED\",method="
                              "\"unknown\"} 2"));
  EXPECT_THAT(text, Not(HasSubstr("no.Such")));
}

TEST(ServerMetricsTest, CodeNamesFollowGoogleRpcCode) {
  EXPECT_STREQ(GrpcCodeName(0), "OK");
  EXPECT_STREQ(GrpcCodeName(14), "UNAVAILABLE");
  EXPECT_STREQ(GrpcCodeName(16), "UNAUTHENTICATED");
  EXPECT_STREQ(GrpcCodeName(99), "UNKNOWN");
}

}  // namespace
}  // namespace evermirror::rpc
