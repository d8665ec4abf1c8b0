#include "shared/rpc/grpc_init.h"

#include <mutex>
#include <string>
#include <string_view>

#include "grpc/health/v1/health.pb.h"
#include "grpc/support/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "shared/base/logging.h"

namespace evermirror::rpc {
namespace {

// gRPC reports a failed bind only as a log line, on the thread that asked for it.
thread_local std::string last_os_error;

// `text` holds gRPC's error tree: ... os_error:"Address already in use" ...
std::string OsErrorOf(std::string_view text) {
  constexpr std::string_view kKey = "os_error:\"";
  const size_t start = text.find(kKey);
  if (start == std::string_view::npos) return "";
  const size_t end = text.find('"', start + kKey.size());
  return std::string(text.substr(start + kKey.size(), end - start - kKey.size()));
}

// gRPC's ERROR lines are mostly conditions we also report as a Status (a failed bind), so
// they are warnings here; its INFO chatter is debug.
void LogFromGrpc(gpr_log_func_args* args) {
  const bool error = args->severity == GPR_LOG_SEVERITY_ERROR;
  if (error) {
    if (std::string os_error = OsErrorOf(args->message); !os_error.empty()) last_os_error = std::move(os_error);
  }
  const log::Level level = error ? log::Level::kWarn : log::Level::kDebug;
  log::Event(level, "grpc_log").Kv("msg", args->message).Kv("src", args->file).Kv("line", args->line);
}

}  // namespace

void InitGrpc() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function(LogFromGrpc);
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);  // filtering is the logger's job
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    // Reflection describes the health service only if this descriptor is linked in.
    (void)grpc::health::v1::HealthCheckRequest::descriptor();
  });
}

std::string TakeLastGrpcOsError() {
  std::string error;
  error.swap(last_os_error);
  return error;
}

}  // namespace evermirror::rpc
