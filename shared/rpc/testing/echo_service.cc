#include "shared/rpc/testing/echo_service.h"

#include <algorithm>

#include "shared/rpc/status.h"

namespace evermirror::rpc::testing {

// A unary call parked until ReleaseHeld() or cancellation, whichever comes first.
class EchoServiceImpl::HeldCall final : public grpc::ServerUnaryReactor {
 public:
  HeldCall(EchoServiceImpl* service, const EchoRequest* request, EchoResponse* response)
      : service_(service), request_(request), response_(response) {}

  void Answer() {
    response_->set_message(request_->message());
    Finish(grpc::Status::OK);
  }
  void OnCancel() override {
    if (service_->Unhold(this)) Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while held"));
  }
  void OnDone() override { delete this; }

 private:
  EchoServiceImpl* service_;
  const EchoRequest* request_;
  EchoResponse* response_;
};

// Writes `count` numbered responses, then finishes, or with hold_open waits for cancellation.
class EchoServiceImpl::Stream final : public grpc::ServerWriteReactor<EchoResponse> {
 public:
  Stream(EchoServiceImpl* service, const EchoStreamRequest& request) : service_(service), request_(request) {
    service_->StreamOpened();
    NextWrite();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      return;
    }
    NextWrite();
  }
  void OnCancel() override { FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled")); }
  void OnDone() override {
    service_->StreamClosed();
    delete this;
  }

 private:
  void NextWrite() {
    if (sent_ < request_.count()) {
      response_.set_message(request_.message());
      response_.set_sequence(++sent_);
      StartWrite(&response_);
    } else if (!request_.hold_open()) {
      FinishOnce(grpc::Status::OK);
    }
  }
  // OnCancel and a failed write can both want to finish; gRPC allows one Finish.
  void FinishOnce(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(status);
  }

  EchoServiceImpl* service_;
  const EchoStreamRequest request_;
  EchoResponse response_;
  int sent_ = 0;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

EchoServiceImpl::~EchoServiceImpl() { ReleaseHeld(); }

grpc::ServerUnaryReactor* EchoServiceImpl::Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                                EchoResponse* response) {
  if (request->hold()) {
    auto* call = new HeldCall(this, request, response);
    absl::MutexLock lock(&mu_);
    held_.push_back(call);
    return call;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->fail_code() != 0) {
    // Through the one translation point, as a real service edge does.
    reactor->Finish(ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(request->fail_code()), request->message())));
    return reactor;
  }
  response->set_message(request->message());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<EchoServiceImpl::EchoResponse>* EchoServiceImpl::EchoStream(
    grpc::CallbackServerContext* /*context*/, const EchoStreamRequest* request) {
  return new Stream(this, *request);
}

bool EchoServiceImpl::WaitForHeld(int n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return static_cast<int>(held_.size()) >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void EchoServiceImpl::ReleaseHeld() {
  std::vector<HeldCall*> calls;
  {
    absl::MutexLock lock(&mu_);
    calls.swap(held_);
  }
  for (HeldCall* call : calls) call->Answer();
}

bool EchoServiceImpl::Unhold(HeldCall* call) {
  absl::MutexLock lock(&mu_);
  auto it = std::find(held_.begin(), held_.end(), call);
  if (it == held_.end()) return false;
  held_.erase(it);
  return true;
}

void EchoServiceImpl::StreamOpened() {
  absl::MutexLock lock(&mu_);
  ++open_streams_;
}

void EchoServiceImpl::StreamClosed() {
  absl::MutexLock lock(&mu_);
  --open_streams_;
}

bool EchoServiceImpl::WaitForOpenStreams(int n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_streams_ == n; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

}  // namespace evermirror::rpc::testing
