#include "shared/rpc/client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/config/address.h"
#include "shared/rpc/grpc_init.h"
#include "shared/rpc/status.h"

namespace evermirror::rpc {
namespace {

int Ms(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

std::chrono::system_clock::time_point DeadlineIn(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
}

const char* StateName(grpc_connectivity_state state) {
  switch (state) {
    case GRPC_CHANNEL_IDLE: return "IDLE";
    case GRPC_CHANNEL_CONNECTING: return "CONNECTING";
    case GRPC_CHANNEL_READY: return "READY";
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return "TRANSIENT_FAILURE";
    case GRPC_CHANNEL_SHUTDOWN: return "SHUTDOWN";
  }
  return "?";
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(std::string_view address, const ChannelOptions& options) {
  EM_ASSIGN_OR_RETURN(config::Address parsed, config::ParseAddress(address));
  InitGrpc();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, Ms(options.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Ms(options.keepalive_timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);  // keep pinging idle watch streams
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, Ms(options.initial_reconnect_backoff));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, Ms(options.initial_reconnect_backoff));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, Ms(options.max_reconnect_backoff));
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  return grpc::CreateCustomChannel(parsed.ToGrpcTarget(), grpc::InsecureChannelCredentials(), args);
}

void PrepareContext(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(DeadlineIn(timeout));
  context->set_wait_for_ready(true);
}

absl::Status WaitForConnected(grpc::Channel& channel, absl::Duration timeout) {
  if (channel.WaitForConnected(DeadlineIn(timeout))) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("not connected after ", absl::FormatDuration(timeout),
                                                  " (channel state ", StateName(channel.GetState(false)), ")"));
}

absl::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, std::string_view service,
                         absl::Duration timeout) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  PrepareContext(&context, timeout);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  EM_RETURN_IF_ERROR(FromGrpcStatus(stub->Check(&context, request, &response)));
  if (response.status() == grpc::health::v1::HealthCheckResponse::SERVING) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("health of \"", ToAbsl(service), "\": ",
                                             grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())));
}

}  // namespace evermirror::rpc
