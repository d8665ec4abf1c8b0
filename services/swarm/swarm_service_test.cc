// The gRPC edge through a real server on 127.0.0.1:0 and a real client. The Swarm behind it
// runs on fake mechanisms and simulated time; the test advances time only between calls.
#include "services/swarm/swarm_service.h"

#include <memory>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/swarm/testing/fake_discovery.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/env/testing/sim_scheduler.h"
#include "shared/rpc/client.h"
#include "shared/rpc/server.h"

namespace evermirror::swarm {
namespace {

using testing::FakeDiscovery;
namespace pb = ::evermirror::swarm::v1;

const std::string kKey(32, '\x7e');
const Endpoint kPeer{0xC0A80105, 3282};
const Endpoint kPeer2{0xC0A80106, 4000};

class SwarmServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SwarmOptions options;
    options.candidates.backoff_jitter = 0;
    options.lookup.jitter = 0;
    swarm_ = std::make_unique<Swarm>(options, Swarm::Seams{&clock_, &scheduler_, &random_, nullptr});
    dht_ = std::make_unique<FakeDiscovery>(PeerSource::kDht, true, swarm_->Sink());
    swarm_->AddDiscovery(dht_.get());
    swarm_->Start();
    service_ = std::make_unique<SwarmService>(swarm_.get(), [this] { return dht_status_; }, absl::Milliseconds(20));
    rpc::ServerOptions server_options;  // 127.0.0.1:0
    auto server = rpc::GrpcServer::Start(server_options, {{service_.get(), pb::Swarm::service_full_name()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = *rpc::MakeChannel(server_->addresses().front());
    stub_ = pb::Swarm::NewStub(channel_);
  }
  void TearDown() override {
    swarm_->Shutdown();
    server_->Shutdown(absl::Seconds(1));
  }

  grpc::Status Join(const std::string& key, pb::JoinResponse* response, std::optional<bool> lookup = std::nullopt) {
    grpc::ClientContext context;
    pb::JoinRequest request;
    request.set_discovery_key(key);
    if (lookup) request.set_lookup(*lookup);
    return stub_->Join(&context, request, response);
  }
  grpc::Status Report(const std::string& host, uint32_t port, pb::DialOutcome outcome,
                      pb::ReportDialResultResponse* response) {
    grpc::ClientContext context;
    pb::ReportDialResultRequest request;
    request.set_discovery_key(kKey);
    request.set_host(host);
    request.set_port(port);
    request.set_outcome(outcome);
    request.set_error("connection refused");
    return stub_->ReportDialResult(&context, request, response);
  }

  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  env::SeededRandom random_{3};
  std::unique_ptr<Swarm> swarm_;
  std::unique_ptr<FakeDiscovery> dht_;
  std::optional<DhtStatusSnapshot> dht_status_;
  std::unique_ptr<SwarmService> service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Swarm::Stub> stub_;
};

TEST_F(SwarmServiceTest, JoinListLeaveRoundTrip) {
  pb::JoinResponse joined;
  ASSERT_TRUE(Join(kKey, &joined).ok());
  EXPECT_FALSE(joined.already_joined());
  EXPECT_EQ(joined.topic().discovery_key(), kKey);
  EXPECT_EQ(joined.topic().info_hash(), kKey.substr(0, 20));  // Dat: the first 20 bytes
  EXPECT_TRUE(joined.topic().announce());
  EXPECT_TRUE(joined.topic().lookup());
  EXPECT_EQ(joined.topic().joined_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_TRUE(dht_->joined(kKey));

  pb::JoinResponse again;
  ASSERT_TRUE(Join(kKey, &again, /*lookup=*/false).ok());
  EXPECT_TRUE(again.already_joined());
  EXPECT_FALSE(again.topic().lookup());

  grpc::ClientContext list_context;
  pb::ListTopicsResponse topics;
  ASSERT_TRUE(stub_->ListTopics(&list_context, pb::ListTopicsRequest(), &topics).ok());
  ASSERT_EQ(topics.topics_size(), 1);
  EXPECT_FALSE(topics.topics(0).lookup());

  grpc::ClientContext leave_context, leave_again_context;
  pb::LeaveRequest leave;
  leave.set_discovery_key(kKey);
  pb::LeaveResponse left;
  EXPECT_TRUE(stub_->Leave(&leave_context, leave, &left).ok());
  EXPECT_EQ(stub_->Leave(&leave_again_context, leave, &left).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(rpc::CheckHealth(channel_, pb::Swarm::service_full_name(), absl::Seconds(5)).ok());
}

TEST_F(SwarmServiceTest, BadRequestsAreInvalidArgumentOrNotFound) {
  pb::JoinResponse joined;
  EXPECT_EQ(Join(std::string(31, 'k'), &joined).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Join(std::string(33, 'k'), &joined).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  {
    grpc::ClientContext context;
    pb::JoinRequest request;
    request.set_discovery_key(kKey);
    request.set_announce(false);
    request.set_lookup(false);
    grpc::Status s = stub_->Join(&context, request, &joined);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("both false"), std::string::npos) << s.error_message();
  }
  {
    grpc::ClientContext context;
    pb::ListPeersRequest request;
    request.set_discovery_key("short");
    pb::ListPeersResponse peers;
    EXPECT_EQ(stub_->ListPeers(&context, request, &peers).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext context;
    pb::ListPeersRequest request;
    request.set_discovery_key(kKey);
    pb::ListPeersResponse peers;
    EXPECT_EQ(stub_->ListPeers(&context, request, &peers).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  ASSERT_TRUE(Join(kKey, &joined).ok());
  pb::ReportDialResultResponse r;
  EXPECT_EQ(Report("example.com", 3282, pb::DIAL_OUTCOME_FAILED, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Report("192.168.1.5", 0, pb::DIAL_OUTCOME_FAILED, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Report("192.168.1.5", 70000, pb::DIAL_OUTCOME_FAILED, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Report("192.168.1.5", 3282, pb::DIAL_OUTCOME_UNSPECIFIED, &r).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Report("192.168.1.5", 3282, pb::DIAL_OUTCOME_FAILED, &r).error_code(), grpc::StatusCode::NOT_FOUND);
  {
    grpc::ClientContext context;
    pb::WatchCandidatesRequest request;
    request.set_discovery_key(std::string(40, 'x'));
    auto reader = stub_->WatchCandidates(&context, request);
    pb::CandidateEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_F(SwarmServiceTest, WatchCandidatesStreamsReplayNewRedialAndTopicLeft) {
  pb::JoinResponse joined;
  ASSERT_TRUE(Join(kKey, &joined).ok());
  dht_->Emit(kKey, kPeer);
  grpc::ClientContext context;
  auto reader = stub_->WatchCandidates(&context, pb::WatchCandidatesRequest());
  pb::CandidateEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::CandidateEvent::KIND_CURRENT);
  EXPECT_EQ(event.host(), "192.168.1.5");
  EXPECT_EQ(event.port(), 3282u);
  EXPECT_EQ(event.discovery_key(), kKey);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::CandidateEvent::KIND_SYNCED);

  dht_->Emit(kKey, kPeer2);
  dht_->Emit(kKey, kPeer2);  // de-duplicated
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::CandidateEvent::KIND_NEW);
  EXPECT_EQ(event.host(), "192.168.1.6");
  EXPECT_EQ(event.port(), 4000u);
  EXPECT_EQ(event.source(), pb::PEER_SOURCE_DHT);

  pb::ReportDialResultResponse reported;
  ASSERT_TRUE(Report("192.168.1.6", 4000, pb::DIAL_OUTCOME_FAILED, &reported).ok());
  EXPECT_EQ(reported.failures(), 1u);
  EXPECT_EQ(reported.backoff_until().seconds(), absl::ToUnixSeconds(clock_.Now() + absl::Seconds(5)));
  scheduler_.AdvanceBy(absl::Seconds(5));
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::CandidateEvent::KIND_REDIAL);
  EXPECT_EQ(event.port(), 4000u);
  EXPECT_EQ(event.failures(), 1u);

  grpc::ClientContext list_context;
  pb::ListPeersRequest list;
  list.set_discovery_key(kKey);
  pb::ListPeersResponse peers;
  ASSERT_TRUE(stub_->ListPeers(&list_context, list, &peers).ok());
  ASSERT_EQ(peers.peers_size(), 2);
  EXPECT_EQ(peers.peers(1).failures(), 1u);
  ASSERT_EQ(peers.peers(1).sources_size(), 1);
  EXPECT_EQ(peers.peers(1).sources(0), pb::PEER_SOURCE_DHT);
  EXPECT_GT(peers.peers(1).last_seen().seconds(), 0);

  grpc::ClientContext leave_context;
  pb::LeaveRequest leave;
  leave.set_discovery_key(kKey);
  pb::LeaveResponse left;
  ASSERT_TRUE(stub_->Leave(&leave_context, leave, &left).ok());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::CandidateEvent::KIND_TOPIC_LEFT);
  EXPECT_EQ(event.discovery_key(), kKey);

  context.TryCancel();
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  for (int i = 0; i < 200 && swarm_->watcher_count() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(swarm_->watcher_count(), 0u);  // the handler noticed and unwatched
}

TEST_F(SwarmServiceTest, ShutdownEndsWatchStreamsWithUnavailable) {
  grpc::ClientContext context;
  auto reader = stub_->WatchCandidates(&context, pb::WatchCandidatesRequest());
  pb::CandidateEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::CandidateEvent::KIND_SYNCED);
  swarm_->Shutdown();
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  pb::JoinResponse joined;
  EXPECT_EQ(Join(kKey, &joined).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(SwarmServiceTest, DhtStatusReportsTheNodeOrDisabled) {
  {
    grpc::ClientContext context;
    pb::DhtStatusResponse status;
    ASSERT_TRUE(stub_->DhtStatus(&context, pb::DhtStatusRequest(), &status).ok());
    EXPECT_FALSE(status.enabled());
  }
  DhtStatusSnapshot snapshot;
  snapshot.id = *dht::NodeId::FromHex("00112233445566778899aabbccddeeff00112233");
  snapshot.local = dht::Endpoint{0x7F000001, 6881};
  snapshot.stats.table_size = 12;
  snapshot.stats.queries_in[static_cast<int>(dht::Method::kGetPeers)] = 9;
  snapshot.stats.announces_sent = 4;
  dht_status_ = snapshot;
  grpc::ClientContext context;
  pb::DhtStatusResponse status;
  ASSERT_TRUE(stub_->DhtStatus(&context, pb::DhtStatusRequest(), &status).ok());
  EXPECT_TRUE(status.enabled());
  EXPECT_TRUE(status.bootstrapped());
  EXPECT_EQ(status.node_id(), std::string(snapshot.id.view()));
  EXPECT_EQ(status.local_address(), "127.0.0.1:6881");
  EXPECT_EQ(status.routing_table_size(), 12u);
  EXPECT_EQ(status.announces_sent(), 4u);
  ASSERT_EQ(status.queries_size(), 4);
  EXPECT_EQ(status.queries(2).method(), "get_peers");
  EXPECT_EQ(status.queries(2).received(), 9u);
}

}  // namespace
}  // namespace evermirror::swarm
