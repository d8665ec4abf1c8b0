// Per-RPC metrics for GrpcServer: every call is counted by method and status code and timed,
// through a gRPC server interceptor, so no service has to instrument its handlers by hand:
//   evermirror_<service>_grpc_server_handled_total{method="pkg.Service/Method",code="OK"}
//   evermirror_<service>_grpc_server_handling_seconds{method="pkg.Service/Method"}
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/support/server_interceptor.h"
#include "shared/env/clock.h"
#include "shared/metrics/metrics.h"

namespace evermirror::rpc {

// Interceptor factories for ServerBuilder::experimental().SetInterceptorCreators(). Calls are
// recorded when their status is sent (a call whose client vanished before that is not
// counted). Methods of `services` (full proto names, looked up in the generated descriptor
// pool), of health and of reflection keep their name; any other method name a client sends
// is recorded as "unknown", so clients cannot grow the label set. `metrics` and `clock` must
// outlive the server. Thread-safe.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> MakeServerMetricsInterceptors(
    metrics::Registry* metrics, env::Clock* clock, const std::vector<std::string>& services);

// "OK", "NOT_FOUND", ... as in google.rpc.Code.
const char* GrpcCodeName(int code);

}  // namespace evermirror::rpc
