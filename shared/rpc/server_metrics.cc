#include "shared/rpc/server_metrics.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"

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
  MetricsInterceptorFactory(metrics::Registry* metrics, env::Clock* clock, std::set<std::string> known)
      : known_(std::move(known)),
        families_{metrics->Counters("grpc_server_handled_total", "RPCs completed, by method and status code."),
                  metrics->Histograms("grpc_server_handling_seconds", "Time from the start of an RPC to its status.",
                                      metrics::LatencyBuckets())},
        clock_(clock) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    std::string method = info->method() == nullptr ? "" : info->method();
    if (known_.count(method) == 0) method = "/unknown";
    method.erase(0, 1);  // "/pkg.Service/Method" -> "pkg.Service/Method"
    return new MetricsInterceptor(&families_, clock_, std::move(method));
  }

 private:
  const std::set<std::string> known_;  // "/pkg.Service/Method"
  Families families_;
  env::Clock* clock_;
};

std::set<std::string> KnownMethods(std::vector<std::string> services) {
  services.push_back("grpc.health.v1.Health");
  services.push_back("grpc.reflection.v1alpha.ServerReflection");
  std::set<std::string> known;
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
      known.insert(absl::StrCat("/", name, "/", service->method(i)->name()));
    }
  }
  return known;
}

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> MakeServerMetricsInterceptors(
    metrics::Registry* metrics, env::Clock* clock, const std::vector<std::string>& services) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<MetricsInterceptorFactory>(metrics, clock, KnownMethods(services)));
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
