#include "shared/rpc/status.h"

#include <string>

namespace evermirror::rpc {
namespace {

// google.rpc.Code runs from OK (0) to UNAUTHENTICATED (16) in both libraries.
constexpr int kLastCode = 16;
static_assert(static_cast<int>(absl::StatusCode::kUnauthenticated) == kLastCode);
static_assert(static_cast<int>(grpc::StatusCode::UNAUTHENTICATED) == kLastCode);
static_assert(static_cast<int>(absl::StatusCode::kUnavailable) == static_cast<int>(grpc::StatusCode::UNAVAILABLE));
static_assert(static_cast<int>(absl::StatusCode::kDataLoss) == static_cast<int>(grpc::StatusCode::DATA_LOSS));

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  const auto grpc_code = code > 0 && code <= kLastCode ? static_cast<grpc::StatusCode>(code) : grpc::StatusCode::UNKNOWN;
  return grpc::Status(grpc_code, std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const int code = static_cast<int>(status.error_code());
  const auto absl_code = code > 0 && code <= kLastCode ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown;
  return absl::Status(absl_code, status.error_message());
}

}  // namespace evermirror::rpc
