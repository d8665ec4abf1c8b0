#include "services/ingest/grpc_feed_watcher.h"

#include <chrono>

#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "services/ingest/grpc_ports.h"
#include "shared/base/logging.h"
#include "shared/crypto/key_text.h"

namespace evermirror::ingest {

// One watch. Exactly one operation is outstanding on the queue at any time (start, read,
// finish or the retry alarm); its completion says what to do next.
struct GrpcFeedWatcher::Call {
  enum class Op { kStart, kRead, kFinish, kAlarm };
  WatchId id = 0;
  std::string key;
  std::function<void(const FeedView&)> on_change;
  rpc::Backoff backoff;
  bool cancelled = false;
  Op op = Op::kStart;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientAsyncReader<replicator::v1::FeedStatus>> reader;
  replicator::v1::FeedStatus message;
  grpc::Status status;
  grpc::Alarm alarm;

  Call(rpc::BackoffOptions options, env::Random* random) : backoff(options, random) {}
};

GrpcFeedWatcher::GrpcFeedWatcher(std::shared_ptr<grpc::Channel> channel, rpc::BackoffOptions backoff,
                                 env::Random* random)
    : stub_(replicator::v1::Replicator::NewStub(channel)), backoff_(backoff), random_(random) {
  thread_ = std::thread([this] { Loop(); });
}

GrpcFeedWatcher::~GrpcFeedWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, call] : calls_) Cancel(call.get());
    // Each call is destroyed by the loop once its last operation has completed.
    mu_.Await(absl::Condition(
        +[](std::map<WatchId, std::unique_ptr<Call>>* calls) { return calls->empty(); }, &calls_));
  }
  queue_.Shutdown();
  thread_.join();
}

FeedWatcher::WatchId GrpcFeedWatcher::Watch(const std::string& key, std::function<void(const FeedView&)> on_change) {
  absl::MutexLock lock(&mu_);
  auto call = std::make_unique<Call>(backoff_, random_);
  call->id = next_id_++;
  call->key = key;
  call->on_change = std::move(on_change);
  Call* raw = call.get();
  calls_[raw->id] = std::move(call);
  if (stopping_) {
    calls_.erase(raw->id);
    return 0;
  }
  StartStream(raw);
  return raw->id;
}

void GrpcFeedWatcher::Unwatch(WatchId id) {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(id);
  if (it != calls_.end()) Cancel(it->second.get());
  if (std::this_thread::get_id() == thread_.get_id()) return;  // from inside on_change
  while (delivering_ == id) delivered_.Wait(&mu_);
}

void GrpcFeedWatcher::Cancel(Call* call) {
  if (call->cancelled) return;
  call->cancelled = true;
  if (call->op == Call::Op::kAlarm) {
    call->alarm.Cancel();
  } else if (call->context != nullptr) {
    call->context->TryCancel();
  }
}

void GrpcFeedWatcher::StartStream(Call* call) {
  call->reader.reset();
  call->context = std::make_unique<grpc::ClientContext>();
  replicator::v1::FeedRequest request;
  request.set_key(call->key);
  call->op = Call::Op::kStart;
  call->reader = stub_->PrepareAsyncWatchFeed(call->context.get(), request, &queue_);
  call->reader->StartCall(call);
}

void GrpcFeedWatcher::Loop() {
  void* tag = nullptr;
  bool ok = false;
  while (queue_.Next(&tag, &ok)) {
    Call* call = static_cast<Call*>(tag);
    std::function<void(const FeedView&)> deliver;
    FeedView view;
    {
      absl::MutexLock lock(&mu_);
      if (call->op == Call::Op::kRead && ok && !call->cancelled) {
        deliver = call->on_change;
        view = ToFeedView(call->message);
        delivering_ = call->id;
      }
      Handle(call, ok);
    }
    if (!deliver) continue;
    deliver(view);  // outside the lock: it may call Watch or Unwatch
    absl::MutexLock lock(&mu_);
    delivering_ = 0;
    delivered_.SignalAll();
  }
}

void GrpcFeedWatcher::Handle(Call* call, bool ok) {
  switch (call->op) {
    case Call::Op::kStart:
    case Call::Op::kRead:
      if (ok && !call->cancelled) {
        if (call->op == Call::Op::kRead) call->backoff.Reset();
        call->op = Call::Op::kRead;
        call->reader->Read(&call->message, call);
      } else {
        call->op = Call::Op::kFinish;
        call->reader->Finish(&call->status, call);
      }
      return;
    case Call::Op::kFinish:
      if (call->cancelled) break;
      log::Debug("feed_watch_ended").Kv("feed", crypto::LogId(call->key)).Kv("code", call->status.error_code());
      call->op = Call::Op::kAlarm;
      call->alarm.Set(&queue_, std::chrono::system_clock::now() + absl::ToChronoMilliseconds(call->backoff.Next()),
                      call);
      return;
    case Call::Op::kAlarm:
      if (ok && !call->cancelled) {
        StartStream(call);
        return;
      }
      break;
  }
  calls_.erase(call->id);  // its last operation has completed
}

}  // namespace evermirror::ingest
