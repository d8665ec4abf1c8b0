#include "shared/lan/dat_lan_discovery.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/env/scheduler.h"
#include "shared/env/testing/sim_scheduler.h"
#include "shared/lan/testing/sim_mdns_bus.h"

namespace evermirror::lan {
namespace {

constexpr uint32_t kAddrA = 0xA9FE0001;  // 169.254.0.1
constexpr uint32_t kAddrB = 0xA9FE0002;
constexpr uint32_t kAddrX = 0xA9FE0009;  // a node peer, injected as raw bytes

const std::string kTopic = *FromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
const std::string kTopicName = "00112233445566778899aabbccddeeff00112233.dat.local";

// What discovery-swarm 6.1.0 sent on the wire for kTopic (query) and with TCP port 33185 (answer).
const std::string kReferenceQuery = *FromHex(
    "0000000000010000000000002830303131323233333434353536363737383839396161626263636464656566663030"
    "31313232333303646174056c6f63616c0000100001");
const std::string kReferenceAnswer = *FromHex(
    "0000840000010001000000002830303131323233333434353536363737383839396161626263636464656566663030"
    "31313232333303646174056c6f63616c00001000012830303131323233333434353536363737383839396161626263"
    "63646465656666303031313232333303646174056c6f63616c000010000100000000004232746f6b656e3d467a7234"
    "423831536e706d5646346774385a6f3164576947623056772f307376574c786d70677254707a773d0e70656572733d"
    "4141414141494768");

class Node {
 public:
  Node(SimMdnsBus* bus, uint32_t address, env::SimClock* clock, env::SimScheduler* scheduler, uint64_t seed)
      : host_(bus->AddHost(address)), random_(seed) {
    discovery_ = std::make_unique<DatLanDiscovery>(DatLanDiscovery::Options{}, host_, clock, scheduler, &random_,
                                                   [this](const LanPeerCandidate& c) { found.push_back(c); });
    host_->dispatcher()->AddHandler(discovery_.get());
  }
  ~Node() { host_->dispatcher()->RemoveHandler(discovery_.get()); }
  DatLanDiscovery& discovery() { return *discovery_; }
  SimMdnsBus::Host* host() { return host_; }
  std::vector<LanPeerCandidate> found;

 private:
  SimMdnsBus::Host* host_;
  env::SeededRandom random_;
  std::unique_ptr<DatLanDiscovery> discovery_;
};

class DatLanDiscoveryTest : public ::testing::Test {
 protected:
  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  SimMdnsBus bus_{&scheduler_, 42};

  std::vector<DnsMessage> Decoded(bool responses_only) {
    std::vector<DnsMessage> out;
    for (const auto& sent : bus_.sent()) {
      DnsMessage m = *DecodeDnsMessage(sent.datagram);
      if (!responses_only || m.is_response()) out.push_back(m);
    }
    return out;
  }
};

TEST(DnsDiscoveryLabelTest, IsHexOfTheFirstTwentyBytes) {
  EXPECT_EQ(DnsDiscoveryLabel(kTopic), "00112233445566778899aabbccddeeff00112233");
  EXPECT_EQ(DnsDiscoveryLabel("my-topic"), "6d792d746f706963");
}

TEST(DatLanDiscoveryOptionsTest, Validates) {
  EXPECT_TRUE(DatLanDiscovery::Options{}.Validate().ok());
  DatLanDiscovery::Options o;
  o.domain = "local";
  EXPECT_FALSE(o.Validate().ok());
  o = {};
  o.query_interval = absl::ZeroDuration();
  EXPECT_FALSE(o.Validate().ok());
}

TEST_F(DatLanDiscoveryTest, TwoAnnouncingPeersFindEachOther) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  Node b(&bus_, kAddrB, &clock_, &scheduler_, 2);
  ASSERT_TRUE(a.discovery().Join(kTopic, 3282).ok());
  scheduler_.AdvanceBy(absl::Seconds(5));
  ASSERT_TRUE(b.discovery().Join(kTopic, 4000).ok());
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  // A learns of B from B's join announcement; B learns of A from A's answer to B's query.
  ASSERT_EQ(a.found.size(), 1u);
  EXPECT_EQ(a.found[0].endpoint, (Ipv4Endpoint{kAddrB, 4000}));
  EXPECT_EQ(a.found[0].topic, kTopic);
  ASSERT_EQ(b.found.size(), 1u);
  EXPECT_EQ(b.found[0].endpoint, (Ipv4Endpoint{kAddrA, 3282}));
  EXPECT_GT(a.discovery().stats().own_echoes_dropped, 0u);
}

TEST_F(DatLanDiscoveryTest, NewcomerRightAfterAnAnnouncementIsAnswered) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  Node b(&bus_, kAddrB, &clock_, &scheduler_, 2);
  ASSERT_TRUE(a.discovery().Join(kTopic, 3282).ok());
  scheduler_.AdvanceBy(absl::Milliseconds(5));  // A's announcement reaches B before B joins
  ASSERT_TRUE(b.discovery().Join(kTopic, std::nullopt).ok());
  scheduler_.AdvanceBy(absl::Milliseconds(5));
  ASSERT_EQ(b.found.size(), 1u);
  EXPECT_EQ(b.found[0].endpoint, (Ipv4Endpoint{kAddrA, 3282}));
}

TEST_F(DatLanDiscoveryTest, AnnouncesWithEveryQueryButNeverAnswersItsOwnQuery) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, 3282).ok());
  scheduler_.AdvanceBy(absl::Seconds(71));
  EXPECT_EQ(a.discovery().stats().queries_sent, 2u);
  EXPECT_EQ(a.discovery().stats().answers_sent, 2u);  // one announcement per query, no echo answers
  EXPECT_EQ(bus_.sent().size(), 4u);
  EXPECT_TRUE(a.found.empty());
}

TEST_F(DatLanDiscoveryTest, QueriesLikeDnsDiscoveryAtJoin) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, std::nullopt).ok());
  ASSERT_EQ(bus_.sent().size(), 1u);  // lookup only: a query and no announcement
  EXPECT_EQ(bus_.sent()[0].datagram, kReferenceQuery);
  EXPECT_FALSE(bus_.sent()[0].to.has_value());
}

TEST_F(DatLanDiscoveryTest, AnswersQueriesByteForByteLikeDnsDiscovery) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, 33185).ok());
  scheduler_.AdvanceBy(absl::Seconds(2));  // past the 1 s per-record multicast limit
  bus_.clear_sent();
  bus_.Inject(kReferenceQuery, Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  ASSERT_EQ(bus_.sent().size(), 1u);
  const std::string& ours = bus_.sent()[0].datagram;
  EXPECT_FALSE(bus_.sent()[0].to.has_value());
  // Same layout; only the opaque 44-character token differs.
  ASSERT_EQ(ours.size(), kReferenceAnswer.size());
  const size_t token_at = kReferenceAnswer.find("token=") + 6;
  EXPECT_EQ(ours.substr(0, token_at), kReferenceAnswer.substr(0, token_at));
  EXPECT_EQ(ours.substr(token_at + 44), kReferenceAnswer.substr(token_at + 44));
}

TEST_F(DatLanDiscoveryTest, TurnsReferenceAnswerIntoCandidateAtSenderAddress) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, std::nullopt).ok());
  bus_.Inject(kReferenceAnswer, Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  ASSERT_EQ(a.found.size(), 1u);
  EXPECT_EQ(a.found[0].endpoint, (Ipv4Endpoint{kAddrX, 33185}));
  EXPECT_EQ(a.found[0].source, PeerSource::kLan);
}

DnsMessage Response(std::vector<DnsRecord> answers) {
  DnsMessage m;
  m.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  m.answers = std::move(answers);
  return m;
}

DnsRecord Srv(const std::string& name, uint16_t port, const std::string& target) {
  return DnsRecord{DnsName::FromDotted(name), kDnsTypeSrv, kDnsClassIn, false, 0,
                   SrvData{0, 0, port, DnsName::FromDotted(target)}};
}

DnsRecord Txt(const std::string& name, TxtData strings) {
  return DnsRecord{DnsName::FromDotted(name), kDnsTypeTxt, kDnsClassIn, false, 0, std::move(strings)};
}

TEST_F(DatLanDiscoveryTest, AcceptsSrvAnswersWithIpv4Targets) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, std::nullopt).ok());
  const DnsMessage m = Response({Srv(kTopicName, 1234, "169.254.0.7"), Srv(kTopicName, 0, "0.0.0.0"),
                                 Srv(kTopicName, 99, "somehost.local")});
  bus_.Inject(*EncodeDnsMessage(m, true), Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  ASSERT_EQ(a.found.size(), 2u);
  EXPECT_EQ(a.found[0].endpoint, (Ipv4Endpoint{0xA9FE0007, 1234}));
  EXPECT_EQ(a.found[1].endpoint, (Ipv4Endpoint{kAddrX, kMdnsPort}));  // 0.0.0.0, port 0: the sender's
  EXPECT_EQ(a.discovery().stats().bad_records_dropped, 1u);
}

TEST_F(DatLanDiscoveryTest, ReadsPeersFromQueriesAndIsCaseInsensitive) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, std::nullopt).ok());
  DnsMessage query;
  query.answers.push_back(Txt("00112233445566778899AABBCCDDEEFF00112233.DAT.local",
                              {"peers=" + absl::Base64Escape(std::string("\x0a\x00\x00\x05\x1f\x90", 6))}));
  bus_.Inject(*EncodeDnsMessage(query, false), Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  ASSERT_EQ(a.found.size(), 1u);
  EXPECT_EQ(a.found[0].endpoint, (Ipv4Endpoint{0x0A000005, 8080}));
}

TEST_F(DatLanDiscoveryTest, RequeriesEverySixtyToSeventySeconds) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 7);
  ASSERT_TRUE(a.discovery().Join(kTopic, std::nullopt).ok());
  std::vector<absl::Time> at = {clock_.Now()};
  for (int i = 0; i < 20; ++i) {
    const size_t before = bus_.sent().size();
    while (bus_.sent().size() == before) scheduler_.AdvanceBy(absl::Milliseconds(100));
    at.push_back(clock_.Now());
  }
  absl::Duration shortest = absl::InfiniteDuration(), longest = absl::ZeroDuration();
  for (size_t i = 1; i < at.size(); ++i) {
    shortest = std::min(shortest, at[i] - at[i - 1]);
    longest = std::max(longest, at[i] - at[i - 1]);
  }
  EXPECT_GE(shortest, absl::Seconds(60));
  EXPECT_LE(longest, absl::Seconds(70) + absl::Milliseconds(100));
  EXPECT_NE(shortest, longest);  // jittered
  EXPECT_EQ(a.discovery().stats().queries_sent, 21u);
}

TEST_F(DatLanDiscoveryTest, LeaveStopsQueryingAndAnswering) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, 5000).ok());
  ASSERT_TRUE(a.discovery().Leave(kTopic).ok());
  EXPECT_EQ(a.discovery().Leave(kTopic).code(), absl::StatusCode::kNotFound);
  scheduler_.AdvanceBy(absl::Seconds(5));
  bus_.clear_sent();
  bus_.Inject(kReferenceQuery, Ipv4Endpoint{kAddrX, kMdnsPort});
  bus_.Inject(kReferenceAnswer, Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Minutes(5));
  EXPECT_TRUE(bus_.sent().empty());
  EXPECT_TRUE(a.found.empty());
}

TEST_F(DatLanDiscoveryTest, RepeatedCandidatesAreSuppressedForAWhile) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, std::nullopt).ok());
  for (int i = 0; i < 3; ++i) bus_.Inject(kReferenceAnswer, Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Seconds(31));
  bus_.Inject(kReferenceAnswer, Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  EXPECT_EQ(a.found.size(), 2u);
}

TEST_F(DatLanDiscoveryTest, LegacyUnicastQueryGetsUnicastReply) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, 5000).ok());
  bus_.clear_sent();
  bus_.Inject(kReferenceQuery, Ipv4Endpoint{kAddrX, 40000});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  ASSERT_EQ(bus_.sent().size(), 1u);
  EXPECT_EQ(bus_.sent()[0].to, (Ipv4Endpoint{kAddrX, 40000}));
}

TEST_F(DatLanDiscoveryTest, BadInputIsDroppedAndCounted) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, std::nullopt).ok());
  bus_.Inject("garbage", Ipv4Endpoint{kAddrX, kMdnsPort});
  bus_.Inject(kReferenceAnswer.substr(0, kReferenceAnswer.size() - 3), Ipv4Endpoint{kAddrX, kMdnsPort});
  const DnsMessage m = Response({Txt(kTopicName, {"token=x", "peers=!!not base64!!"}),
                                 Txt(kTopicName, {"peers=" + absl::Base64Escape(std::string(6, '\0'))}),
                                 Txt("ffff.dat.local", {"peers=AAAAAIGh"}), Txt(kTopicName + ".extra", {})});
  bus_.Inject(*EncodeDnsMessage(m, true), Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  EXPECT_TRUE(a.found.empty());
  EXPECT_EQ(a.host()->dispatcher()->malformed_total(), 2u);
  EXPECT_EQ(a.discovery().stats().bad_records_dropped, 2u);  // bad base64; port 0
  EXPECT_EQ(a.discovery().stats().unknown_topic_records, 1u);
}

TEST_F(DatLanDiscoveryTest, AnswersSrvAndAQuestionsLikeDnsDiscovery) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  ASSERT_TRUE(a.discovery().Join(kTopic, 5000).ok());
  scheduler_.AdvanceBy(absl::Seconds(1));
  DnsMessage query;
  query.questions.push_back({DnsName::FromDotted(kTopicName), kDnsTypeSrv, kDnsClassIn, false});
  query.questions.push_back({DnsName::FromDotted(kTopicName), kDnsTypeA, kDnsClassIn, false});
  query.questions.push_back({DnsName::FromDotted(kTopicName), kDnsTypeAny, kDnsClassIn, false});  // not answered
  bus_.clear_sent();
  bus_.Inject(*EncodeDnsMessage(query, false), Ipv4Endpoint{kAddrX, kMdnsPort});
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  ASSERT_EQ(bus_.sent().size(), 1u);
  const DnsMessage reply = *DecodeDnsMessage(bus_.sent()[0].datagram);
  ASSERT_EQ(reply.answers.size(), 2u);
  EXPECT_EQ(reply.questions.size(), 2u);
  EXPECT_EQ(std::get<SrvData>(reply.answers[0].rdata), (SrvData{0, 0, 5000, DnsName::FromDotted("0.0.0.0")}));
  EXPECT_EQ(std::get<uint32_t>(reply.answers[1].rdata), kAddrA);
  EXPECT_EQ(reply.answers[1].ttl, 0u);
}

// A transport that counts sends from any thread.
class CountingTransport final : public MdnsTransport {
 public:
  void Send(std::string, std::optional<Ipv4Endpoint>) override { sends.fetch_add(1); }
  uint32_t local_address() const override { return kAddrA; }
  std::atomic<int> sends{0};
};

TEST(DatLanDiscoveryLifetimeTest, DestructionWaitsForTimersAndStopsThem) {
  CountingTransport transport;
  env::ThreadScheduler scheduler;
  env::SeededRandom random(3);
  DatLanDiscovery::Options options;
  options.query_interval = absl::Milliseconds(1);
  options.query_jitter = absl::ZeroDuration();
  for (int round = 0; round < 20; ++round) {
    auto discovery = std::make_unique<DatLanDiscovery>(options, &transport, env::RealClock(), &scheduler, &random,
                                                       [](const LanPeerCandidate&) {});
    ASSERT_TRUE(discovery->Join(kTopic, 3282).ok());
    ASSERT_TRUE(discovery->Join("another topic", std::nullopt).ok());
    absl::SleepFor(absl::Milliseconds(3));  // let timer tasks race the destructor
    discovery.reset();
  }
  const int after = transport.sends.load();
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(transport.sends.load(), after);
  EXPECT_GE(after, 20 * 3);  // at least every join's query and announcement went out
}

TEST_F(DatLanDiscoveryTest, RejectsBadJoins) {
  Node a(&bus_, kAddrA, &clock_, &scheduler_, 1);
  EXPECT_EQ(a.discovery().Join("", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.discovery().Join(kTopic, 0).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace evermirror::lan
