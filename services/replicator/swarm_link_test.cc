// SwarmLink against a fake swarm service (real gRPC on loopback) that hands out candidates:
// a real second replicator, a closed port, and ourselves.
#include "services/replicator/swarm_link.h"

#include <stdlib.h>

#include "absl/synchronization/notification.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "shared/env/posix_file_system.h"
#include "shared/rpc/server.h"

namespace evermirror::replicator {
namespace {

namespace sv1 = ::evermirror::swarm::v1;

class FakeSwarm final : public sv1::Swarm::Service {
 public:
  std::vector<sv1::CandidateEvent> events;
  grpc::Status WatchCandidates(grpc::ServerContext* context, const sv1::WatchCandidatesRequest*,
                               grpc::ServerWriter<sv1::CandidateEvent>* writer) override {
    for (const auto& e : events) writer->Write(e);
    while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(20));
    return grpc::Status::OK;
  }
  grpc::Status ReportDialResult(grpc::ServerContext*, const sv1::ReportDialResultRequest* request,
                                sv1::ReportDialResultResponse*) override {
    absl::MutexLock lock(&mu);
    reports.push_back(*request);
    return grpc::Status::OK;
  }
  size_t Count(sv1::DialOutcome outcome, uint32_t port) {
    absl::MutexLock lock(&mu);
    return std::count_if(reports.begin(), reports.end(),
                         [&](const auto& r) { return r.outcome() == outcome && r.port() == port; });
  }
  absl::Mutex mu;
  std::vector<sv1::ReportDialResultRequest> reports ABSL_GUARDED_BY(mu);
};

sv1::CandidateEvent Candidate(const crypto::Hash& dk, uint32_t port) {
  sv1::CandidateEvent e;
  e.set_kind(sv1::CandidateEvent::KIND_NEW);
  e.set_discovery_key(std::string(crypto::AsView(dk)));
  e.set_host("127.0.0.1");
  e.set_port(port);
  return e;
}

std::unique_ptr<Replicator> StartReplicator(const std::string& dir, metrics::Registry* metrics) {
  ReplicatorOptions options;
  options.data_dir = dir;
  options.peers.listen_address = "127.0.0.1:0";
  auto r = std::make_unique<Replicator>(options, env::DefaultFileSystem(), env::RealClock(), metrics);
  EXPECT_TRUE(r->Start().ok());
  return r;
}

// The fake swarm on loopback, handing out `events`, and a SwarmLink from `replicator` to it
// that also hears of the replicator's closed connections. The replicator's hook holds the link,
// so the replicator may close connections (be destroyed) after this is gone.
struct LinkedSwarm {
  LinkedSwarm(Replicator* replicator, std::vector<sv1::CandidateEvent> events) {
    swarm.events = std::move(events);
    rpc::ServerOptions server_options;
    server_options.listen_address = "127.0.0.1:0";
    server = std::move(rpc::GrpcServer::Start(server_options, {{&swarm, sv1::Swarm::service_full_name()}}).value());
    SwarmLinkOptions options;
    options.swarm_address = server->addresses().front();
    link = std::make_shared<SwarmLink>(options, replicator);
    replicator->SetConnectionClosedHook([link = link](const std::string& address) { link->OnConnectionClosed(address); });
    EXPECT_TRUE(link->Start().ok());
  }
  ~LinkedSwarm() {
    link->Stop();
    server->Shutdown(absl::Seconds(1));
  }
  FakeSwarm swarm;
  std::unique_ptr<rpc::GrpcServer> server;
  std::shared_ptr<SwarmLink> link;
};

// Two replicators: `a` follows the fake swarm, `b` is the peer it is told of.
class SwarmLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_swarm_link_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    a = StartReplicator(tmp_ + "/a", &ma_);
    b = StartReplicator(tmp_ + "/b", &mb_);
  }
  void TearDown() override {
    b.reset();
    a.reset();
    ASSERT_TRUE(env::DefaultFileSystem()->RemoveAll(tmp_).ok());
  }
  // A feed of one block written at `b`, which `a` wants in full.
  FeedInfo FeedOfB() {
    const FeedInfo feed = b->CreateFeed(FeedKind::kPlain).value();
    EXPECT_TRUE(b->Append(feed.key, {"x"}).ok());
    EXPECT_TRUE(a->AddFeed(feed.key, replication::DownloadMode::kAll, FeedKind::kPlain).ok());
    return feed;
  }

  std::string tmp_;
  metrics::Registry ma_{"replicator"}, mb_{"replicator"};
  std::unique_ptr<Replicator> a, b;
};

TEST_F(SwarmLinkTest, DialsCandidatesAndReportsEveryOutcome) {
  const FeedInfo feed = FeedOfB();
  auto linked = std::make_unique<LinkedSwarm>(
      a.get(), std::vector<sv1::CandidateEvent>{Candidate(feed.discovery_key, b->peer_port()),
                                                Candidate(feed.discovery_key, 1),
                                                Candidate(feed.discovery_key, a->peer_port())});  // b, nobody, ourselves
  FakeSwarm& swarm = linked->swarm;

  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((swarm.Count(sv1::DIAL_OUTCOME_CONNECTED, b->peer_port()) == 0 ||
          swarm.Count(sv1::DIAL_OUTCOME_FAILED, 1) == 0 || a->GetFeed(feed.key)->downloaded == 0) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(swarm.Count(sv1::DIAL_OUTCOME_CONNECTED, b->peer_port()), 1u);
  EXPECT_EQ(swarm.Count(sv1::DIAL_OUTCOME_FAILED, 1), 1u);
  EXPECT_EQ(swarm.Count(sv1::DIAL_OUTCOME_CONNECTED, a->peer_port()) + swarm.Count(sv1::DIAL_OUTCOME_FAILED, a->peer_port()), 0u);
  EXPECT_EQ(a->GetFeed(feed.key)->downloaded, 1u);  // the dialled peer really replicated

  b.reset();  // the connection ends: reported as DISCONNECTED
  while (swarm.Count(sv1::DIAL_OUTCOME_DISCONNECTED, 0) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    absl::MutexLock lock(&swarm.mu);
    if (!swarm.reports.empty() && swarm.reports.back().outcome() == sv1::DIAL_OUTCOME_DISCONNECTED) break;
  }
  {
    absl::MutexLock lock(&swarm.mu);
    EXPECT_EQ(swarm.reports.back().outcome(), sv1::DIAL_OUTCOME_DISCONNECTED);
  }
}

// Two topics dialled at one peer share a connection; when it closes, both are reported, so the
// swarm offers both for a redial (before, only the topic dialled last was, and the other stayed
// "connected" in the swarm's view: its downloads stalled until a restart).
TEST_F(SwarmLinkTest, AClosedConnectionIsReportedForEveryTopicDialledThere) {
  const FeedInfo one = FeedOfB();
  const FeedInfo two = FeedOfB();
  auto linked = std::make_unique<LinkedSwarm>(
      a.get(), std::vector<sv1::CandidateEvent>{Candidate(one.discovery_key, b->peer_port()),
                                                Candidate(two.discovery_key, b->peer_port())});
  FakeSwarm& swarm = linked->swarm;

  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((swarm.Count(sv1::DIAL_OUTCOME_CONNECTED, b->peer_port()) < 2 || a->GetFeed(one.key)->downloaded == 0 ||
          a->GetFeed(two.key)->downloaded == 0) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(swarm.Count(sv1::DIAL_OUTCOME_CONNECTED, b->peer_port()), 2u);
  const uint32_t b_port = b->peer_port();
  b.reset();
  auto disconnected = [&](const FeedInfo& f) {
    absl::MutexLock lock(&swarm.mu);
    return std::count_if(swarm.reports.begin(), swarm.reports.end(), [&](const sv1::ReportDialResultRequest& r) {
      return r.outcome() == sv1::DIAL_OUTCOME_DISCONNECTED && r.port() == b_port &&
             r.discovery_key() == std::string(crypto::AsView(f.discovery_key));
    });
  };
  while ((disconnected(one) == 0 || disconnected(two) == 0) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(disconnected(one), 1);
  EXPECT_EQ(disconnected(two), 1);
}

}  // namespace
}  // namespace evermirror::replicator
