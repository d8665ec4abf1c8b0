#include "tests/swarm/swarm_harness.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"
#include "tests/lan_interop/interop_helpers.h"

namespace evermirror::swarm::testing {

std::string FreshDir(const std::string& name) {
  const char* tmp = getenv("TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/em_swarm_", getpid(), "_", name);
  (void)lan::testing::Shell("rm -rf '" + dir + "' && mkdir -p '" + dir + "'");
  return dir;
}

absl::StatusOr<std::unique_ptr<SwarmProcess>> SwarmProcess::Start(const SwarmProcessOptions& options) {
  std::unique_ptr<SwarmProcess> p(new SwarmProcess());
  p->output_path_ = options.work_dir + "/swarm.log";
  const std::string socket = options.work_dir + "/admin.sock";
  p->admin_target_ = "unix:" + socket;
  lan::testing::Subprocess::Options o;
  o.argv = {options.binary, "--admin_address=", "--admin_socket=" + socket, "--metrics_address=127.0.0.1:0",
            "--box.data_dir=" + options.work_dir, "--box.name=swarm-test", "--shutdown_grace=1s"};
  o.argv.insert(o.argv.end(), options.args.begin(), options.args.end());
  o.netns_of = options.netns_of;
  o.output_path = p->output_path_;
  auto process = lan::testing::Subprocess::Start(o);
  if (!process.ok()) return process.status();
  p->process_ = *std::move(process);
  const std::regex ready(R"(event=ready grpc=\S+ metrics=127\.0\.0\.1:(\d+) dht=(\S+))");
  auto line = lan::WaitForLine(p->output_path_, ready, absl::Seconds(20));
  if (!line) {
    return absl::DeadlineExceededError(
        absl::StrCat("evermirror-swarm did not become ready:\n", lan::testing::ReadFileOrEmpty(p->output_path_)));
  }
  (void)absl::SimpleAtoi((*line)[1], &p->metrics_port_);
  if ((*line)[2] != "off") {
    auto dht = dht::ParseEndpoint((*line)[2]);
    if (dht.ok()) p->dht_ = *dht;
  }
  return p;
}

std::string SwarmProcess::output() const { return lan::testing::ReadFileOrEmpty(output_path_); }

std::optional<int> SwarmProcess::Terminate(absl::Duration timeout) {
  kill(process_->pid(), SIGTERM);
  return process_->WaitFor(timeout);
}

absl::StatusOr<std::unique_ptr<SwarmClient>> SwarmClient::Connect(const std::string& target) {
  auto channel = rpc::MakeChannel(target);
  if (!channel.ok()) return channel.status();
  auto client = std::unique_ptr<SwarmClient>(new SwarmClient());
  client->channel_ = *channel;
  client->stub_ = pb::Swarm::NewStub(client->channel_);
  return client;
}

SwarmClient::~SwarmClient() {
  if (reader_thread_.joinable()) {
    watch_context_.TryCancel();
    reader_thread_.join();
  }
}

absl::StatusOr<pb::JoinResponse> SwarmClient::Join(const std::string& discovery_key) {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, absl::Seconds(10));
  pb::JoinRequest request;
  request.set_discovery_key(discovery_key);
  pb::JoinResponse response;
  grpc::Status s = stub_->Join(&context, request, &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return response;
}

absl::StatusOr<pb::DhtStatusResponse> SwarmClient::DhtStatus() {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, absl::Seconds(10));
  pb::DhtStatusResponse response;
  grpc::Status s = stub_->DhtStatus(&context, pb::DhtStatusRequest(), &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return response;
}

absl::StatusOr<pb::ListPeersResponse> SwarmClient::ListPeers(const std::string& discovery_key) {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, absl::Seconds(10));
  pb::ListPeersRequest request;
  request.set_discovery_key(discovery_key);
  pb::ListPeersResponse response;
  grpc::Status s = stub_->ListPeers(&context, request, &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return response;
}

absl::Status SwarmClient::StartWatch() {
  watch_context_.set_wait_for_ready(true);
  reader_ = stub_->WatchCandidates(&watch_context_, pb::WatchCandidatesRequest());
  reader_thread_ = std::thread([this] { ReadLoop(); });
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return synced_ || ended_.has_value(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(10)) || !synced_) {
    return absl::UnavailableError("WatchCandidates did not sync");
  }
  return absl::OkStatus();
}

void SwarmClient::ReadLoop() {
  pb::CandidateEvent event;
  while (reader_->Read(&event)) {
    absl::MutexLock lock(&mu_);
    if (event.kind() == pb::CandidateEvent::KIND_SYNCED) synced_ = true;
    events_.push_back(Seen{event, absl::Now()});
  }
  grpc::Status status = reader_->Finish();
  absl::MutexLock lock(&mu_);
  ended_ = status;
}

std::optional<SwarmClient::Seen> SwarmClient::WaitForCandidate(
    const std::function<bool(const pb::CandidateEvent&)>& match, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::optional<Seen> found;
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const Seen& s : events_) {
      const auto kind = s.event.kind();
      if ((kind == pb::CandidateEvent::KIND_NEW || kind == pb::CandidateEvent::KIND_CURRENT ||
           kind == pb::CandidateEvent::KIND_REDIAL) &&
          match(s.event)) {
        found = s;
        return true;
      }
    }
    return ended_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return found;
}

std::optional<grpc::Status> SwarmClient::WaitForWatchEnd(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return ended_.has_value(); };
  mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
  return ended_;
}

std::function<bool(const pb::CandidateEvent&)> CandidateAt(const std::string& host, uint32_t port,
                                                           pb::PeerSource source) {
  return [host, port, source](const pb::CandidateEvent& e) {
    return e.host() == host && e.port() == port && (source == pb::PEER_SOURCE_UNSPECIFIED || e.source() == source);
  };
}

}  // namespace evermirror::swarm::testing
