// A minimal grpc.reflection.v1alpha client for tests: asks a running server what it serves,
// the way `buf curl --list-methods` does, so tests can prove reflection works without buf.
// Messages are built from the descriptors the reflection library registers (no extra protos).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
}

namespace evermirror::rpc::testing {

// Full names of the services the server lists, e.g. "grpc.health.v1.Health".
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                                                 absl::Duration timeout);

// Names of the methods of `service` ("Check", "Watch"), read from the file descriptor the
// server returns for that symbol. NotFound if reflection cannot describe it.
absl::StatusOr<std::vector<std::string>> MethodsByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                                            std::string_view service, absl::Duration timeout);

}  // namespace evermirror::rpc::testing
