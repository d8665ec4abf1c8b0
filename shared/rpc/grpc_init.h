// Process-wide gRPC set-up shared by servers and clients, done once: gRPC's own log lines go
// through shared/base/logging.h (event=grpc_log), the default health service is enabled and
// the reflection plugin is registered (Debian links --as-needed: without the call the
// reflection library is dropped and reflection answers UNIMPLEMENTED).
#pragma once

#include <string>

namespace evermirror::rpc {

// Idempotent and thread-safe. GrpcServer::Start and MakeChannel call it.
void InitGrpc();

// The OS reason in the last error gRPC logged on this thread ("Address already in use"), and
// forgets it; empty if none. Lets GrpcServer::Start say why a bind failed.
std::string TakeLastGrpcOsError();

}  // namespace evermirror::rpc
