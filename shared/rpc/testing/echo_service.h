// EchoServiceImpl: the test service of proto/evermirror/testing/v1/echo.proto, used to prove
// the shared RPC plumbing end to end (shared/rpc tests, tests/rpc_reflection's server).
// Written on gRPC's callback API, so held calls and endless streams need no polling threads,
// and it lets a test hold calls open to watch graceful shutdown.
#pragma once

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "evermirror/testing/v1/echo.grpc.pb.h"

namespace evermirror::rpc::testing {

// Thread-safe.
class EchoServiceImpl final : public ::evermirror::testing::v1::EchoService::CallbackService {
 public:
  using EchoRequest = ::evermirror::testing::v1::EchoRequest;
  using EchoResponse = ::evermirror::testing::v1::EchoResponse;
  using EchoStreamRequest = ::evermirror::testing::v1::EchoStreamRequest;

  ~EchoServiceImpl() override;

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override;
  grpc::ServerWriteReactor<EchoResponse>* EchoStream(grpc::CallbackServerContext* context,
                                                     const EchoStreamRequest* request) override;

  // Waits up to `timeout` (real time) until `n` Echo calls with `hold` are waiting.
  bool WaitForHeld(int n, absl::Duration timeout);
  // Answers every held call with its message.
  void ReleaseHeld();
  // Waits up to `timeout` until exactly `n` streams are open.
  bool WaitForOpenStreams(int n, absl::Duration timeout);

  // Internal, for the reactors.
  class HeldCall;
  class Stream;
  void StreamOpened();
  void StreamClosed();
  // True if `call` was still held (and is now removed); the caller then finishes it.
  bool Unhold(HeldCall* call);

 private:
  absl::Mutex mu_;
  std::vector<HeldCall*> held_ ABSL_GUARDED_BY(mu_);
  int open_streams_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::rpc::testing
