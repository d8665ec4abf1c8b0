// The one place where absl::Status and grpc::Status meet. Service edges (the *Service classes)
// return ToGrpcStatus(logic_status); clients turn call results back with FromGrpcStatus.
// Both code sets are google.rpc.Code, so the mapping is one to one; messages are kept,
// absl payloads are dropped.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace evermirror::rpc {

// Same code, same message. Thread-safe (pure).
grpc::Status ToGrpcStatus(const absl::Status& status);
// Same code, same message; a code outside google.rpc.Code becomes kUnknown. Thread-safe.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace evermirror::rpc
