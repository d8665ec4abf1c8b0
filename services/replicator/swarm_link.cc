#include "services/replicator/swarm_link.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "shared/base/logging.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"

namespace evermirror::replicator {
namespace {

namespace sv1 = ::evermirror::swarm::v1;

// The IPv4 addresses of this host's interfaces (to recognise our own announcements).
std::vector<std::string> LocalAddresses() {
  std::vector<std::string> out = {"127.0.0.1", "0.0.0.0"};
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof(buf));
    out.push_back(buf);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace

SwarmLink::SwarmLink(const SwarmLinkOptions& options, Replicator* replicator)
    : options_(options), replicator_(replicator) {}

SwarmLink::~SwarmLink() { Stop(); }

absl::Status SwarmLink::Start() {
  if (options_.swarm_address.empty()) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = rpc::MakeChannel(options_.swarm_address);
  if (!channel.ok()) return channel.status();
  stub_ = sv1::Swarm::NewStub(*channel);
  stream_thread_ = std::thread([this] { StreamLoop(); });
  for (size_t i = 0; i < options_.max_parallel_dials; ++i) dialers_.emplace_back([this] { DialLoop(); });
  return absl::OkStatus();
}

void SwarmLink::Stop() {
  if (stop_.exchange(true)) return;
  {
    absl::MutexLock lock(&mu_);
    if (stream_context_ != nullptr) stream_context_->TryCancel();
  }
  if (stream_thread_.joinable()) stream_thread_.join();
  for (std::thread& t : dialers_) t.join();
  dialers_.clear();
}

void SwarmLink::StreamLoop() {
  int failures = 0;  // consecutive; logs and the retry delay back off with it
  while (!stop_) {
    auto context = std::make_shared<grpc::ClientContext>();
    {
      absl::MutexLock lock(&mu_);
      stream_context_ = context;
    }
    auto reader = stub_->WatchCandidates(context.get(), sv1::WatchCandidatesRequest());
    sv1::CandidateEvent event;
    bool received = false;
    while (!stop_ && reader->Read(&event)) {
      received = true;
      const bool dial = event.kind() == sv1::CandidateEvent::KIND_NEW ||
                        event.kind() == sv1::CandidateEvent::KIND_REDIAL ||
                        (event.kind() == sv1::CandidateEvent::KIND_CURRENT && !event.connected() &&
                         !event.has_backoff_until());
      if (!dial) continue;
      Candidate c{event.discovery_key(), event.host(), event.port()};
      if (IsSelf(c)) continue;
      absl::MutexLock lock(&mu_);
      queue_.push_back(std::move(c));
    }
    const grpc::Status status = reader->Finish();
    if (stop_) break;
    failures = received ? 1 : failures + 1;
    if (failures == 1) log::Warn("swarm_unreachable").Kv("address", options_.swarm_address).Kv("status", rpc::FromGrpcStatus(status));
    const absl::Duration delay = std::min(options_.reconnect_delay * (1 << std::min(failures - 1, 4)), absl::Seconds(30));
    for (absl::Duration waited; waited < delay && !stop_; waited += absl::Milliseconds(50)) {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
}

void SwarmLink::DialLoop() {
  while (!stop_) {
    std::optional<Candidate> next;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](SwarmLink* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
                                 return !s->queue_.empty() || s->stop_.load();
                               },
                               this),
                           absl::Milliseconds(200));
      if (queue_.empty()) continue;
      next = std::move(queue_.front());
      queue_.erase(queue_.begin());
    }
    ++dials_;
    crypto::Hash dk = crypto::ToArray<crypto::kHashSize>(next->discovery_key);
    absl::StatusOr<uint64_t> id = replicator_->Connect(next->host, static_cast<uint16_t>(next->port), dk);
    if (id.ok()) {
      {
        absl::MutexLock lock(&mu_);
        std::vector<Candidate>& there = connected_[absl::StrCat(next->host, ":", next->port)];
        const bool known = std::any_of(there.begin(), there.end(),
                                       [&](const Candidate& c) { return c.discovery_key == next->discovery_key; });
        if (!known) there.push_back(*next);
      }
      Report(*next, sv1::DIAL_OUTCOME_CONNECTED, "");
    } else {
      ++dial_failures_;
      Report(*next, sv1::DIAL_OUTCOME_FAILED, std::string(id.status().message()));
    }
  }
}

void SwarmLink::OnConnectionClosed(const std::string& remote_address) {
  std::vector<Candidate> closed;
  {
    absl::MutexLock lock(&mu_);
    auto it = connected_.find(remote_address);
    if (it == connected_.end()) return;
    closed = std::move(it->second);
    connected_.erase(it);
  }
  for (const Candidate& c : closed) Report(c, sv1::DIAL_OUTCOME_DISCONNECTED, "");
}

void SwarmLink::Report(const Candidate& c, sv1::DialOutcome outcome, const std::string& error) {
  if (stub_ == nullptr) return;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  sv1::ReportDialResultRequest request;
  request.set_discovery_key(c.discovery_key);
  request.set_host(c.host);
  request.set_port(c.port);
  request.set_outcome(outcome);
  request.set_error(error.substr(0, 256));
  sv1::ReportDialResultResponse response;
  const grpc::Status status = stub_->ReportDialResult(&context, request, &response);
  if (!status.ok()) log::Debug("dial_report_failed").Kv("status", rpc::FromGrpcStatus(status));
}

// Our own announcement comes back from the DHT: dialling it would only meet ourselves.
bool SwarmLink::IsSelf(const Candidate& c) const {
  if (c.port != replicator_->peer_port()) return false;
  static const std::vector<std::string> local = LocalAddresses();
  return std::find(local.begin(), local.end(), c.host) != local.end();
}

}  // namespace evermirror::replicator
