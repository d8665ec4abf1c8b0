#include "shared/rpc/server_metrics.h"

#include <string>

#include "absl/time/time.h"

namespace evermirror::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

struct Families {
  metrics::CounterFamily handled;
  metrics::HistogramFamily seconds;
};

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(Families* families, env::Clock* clock, std::string method)
      : families_(families), clock_(clock), method_(std::move(method)), start_(clock->Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      families_->handled.With({{"method", method_}, {"code", GrpcCodeName(status.error_code())}}).Increment();
      families_->seconds.With({{"method", method_}}).Observe(absl::ToDoubleSeconds(clock_->Now() - start_));
    }
    methods->Proceed();
  }

 private:
  Families* families_;
  env::Clock* clock_;
  std::string method_;
  absl::Time start_;
};

class MetricsInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(metrics::Registry* metrics, env::Clock* clock)
      : families_{metrics->Counters("grpc_server_handled_total", "RPCs completed, by method and status code."),
                  metrics->Histograms("grpc_server_handling_seconds", "Time from the start of an RPC to its status.",
                                      metrics::LatencyBuckets())},
        clock_(clock) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    std::string method = info->method() == nullptr ? "" : info->method();
    if (!method.empty() && method[0] == '/') method.erase(0, 1);  // "/pkg.Service/Method"
    return new MetricsInterceptor(&families_, clock_, std::move(method));
  }

 private:
  Families families_;
  env::Clock* clock_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> MakeServerMetricsInterceptors(
    metrics::Registry* metrics, env::Clock* clock) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<MetricsInterceptorFactory>(metrics, clock));
  return out;
}

const char* GrpcCodeName(int code) {
  static constexpr const char* kNames[] = {
      "OK",        "CANCELLED",         "UNKNOWN",           "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED",    "INTERNAL",          "UNAVAILABLE",      "DATA_LOSS",        "UNAUTHENTICATED"};
  return code >= 0 && code < static_cast<int>(std::size(kNames)) ? kNames[code] : "UNKNOWN";
}

}  // namespace evermirror::rpc
