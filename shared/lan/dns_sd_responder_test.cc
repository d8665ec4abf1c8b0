#include "shared/lan/dns_sd_responder.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shared/env/testing/sim_scheduler.h"
#include "shared/lan/testing/sim_mdns_bus.h"

namespace evermirror::lan {
namespace {

constexpr uint32_t kAddrA = 0xA9FE0001;  // 169.254.0.1
constexpr uint32_t kAddrB = 0xA9FE0002;
constexpr uint32_t kAddrX = 0xA9FE0009;  // some other mDNS stack, injected as raw bytes
const Ipv4Endpoint kFromX{kAddrX, kMdnsPort};

class Box {
 public:
  Box(SimMdnsBus* bus, uint32_t address, env::SimClock* clock, env::SimScheduler* scheduler, uint64_t seed,
      DnsSdResponder::Options options)
      : host_(bus->AddHost(address)), random_(seed) {
    responder_ = std::make_unique<DnsSdResponder>(options, host_, clock, scheduler, &random_);
    host_->dispatcher()->AddHandler(responder_.get());
  }
  ~Box() { host_->dispatcher()->RemoveHandler(responder_.get()); }
  DnsSdResponder& responder() { return *responder_; }

 private:
  SimMdnsBus::Host* host_;
  env::SeededRandom random_;
  std::unique_ptr<DnsSdResponder> responder_;
};

DnsSdResponder::Options GatewayOptions(uint16_t port = 8080, std::string host = "evermirror") {
  DnsSdResponder::Options o;
  o.instance_name = "Evermirror";
  o.host_name = std::move(host);
  o.port = port;
  return o;
}

DnsMessage Query(const std::string& name, uint16_t type, bool qu = false) {
  DnsMessage m;
  m.questions.push_back({DnsName::FromDotted(name), type, kDnsClassIn, qu});
  return m;
}

class DnsSdResponderTest : public ::testing::Test {
 protected:
  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  SimMdnsBus bus_{&scheduler_, 9};

  // Sent datagrams since the last clear, decoded.
  std::vector<SimMdnsBus::Sent> Sent() { return bus_.sent(); }
  static DnsMessage Decode(const SimMdnsBus::Sent& s) { return *DecodeDnsMessage(s.datagram); }
  void Ask(const DnsMessage& query, Ipv4Endpoint from = kFromX) {
    bus_.clear_sent();
    bus_.Inject(*EncodeDnsMessage(query, true), from);
    scheduler_.AdvanceBy(absl::Milliseconds(10));
  }
  void StartAndSettle(Box* box) {
    box->responder().Start();
    scheduler_.AdvanceBy(absl::Seconds(5));
  }
};

TEST(DnsSdOptionsTest, Validates) {
  EXPECT_TRUE(GatewayOptions().Validate().ok());
  auto o = GatewayOptions(0);
  EXPECT_FALSE(o.Validate().ok());
  o = GatewayOptions();
  o.service_type = "http.tcp";
  EXPECT_FALSE(o.Validate().ok());
  o = GatewayOptions();
  o.host_name = "a.b";
  EXPECT_FALSE(o.Validate().ok());
  o = GatewayOptions();
  o.instance_name = std::string(64, 'x');
  EXPECT_FALSE(o.Validate().ok());
}

TEST_F(DnsSdResponderTest, ProbesThreeTimesThenAnnouncesTwice) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  box.responder().Start();
  EXPECT_EQ(box.responder().state(), DnsSdResponder::State::kProbing);
  scheduler_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(box.responder().state(), DnsSdResponder::State::kAnnounced);
  const auto sent = Sent();
  ASSERT_EQ(sent.size(), 5u);
  for (int i = 0; i < 3; ++i) {
    const DnsMessage probe = Decode(sent[i]);
    EXPECT_FALSE(probe.is_response());
    ASSERT_EQ(probe.questions.size(), 2u);
    EXPECT_EQ(probe.questions[0].name.ToString(), "Evermirror._http._tcp.local");
    EXPECT_EQ(probe.questions[0].type, kDnsTypeAny);
    EXPECT_TRUE(probe.questions[0].unicast_response);
    EXPECT_EQ(probe.authorities.size(), 3u);  // SRV, TXT, A
  }
  const DnsMessage announce = Decode(sent[3]);
  EXPECT_TRUE(announce.is_response());
  ASSERT_EQ(announce.answers.size(), 5u);
  EXPECT_EQ(announce.answers[0].name.ToString(), "_http._tcp.local");
  EXPECT_EQ(std::get<DnsName>(announce.answers[0].rdata).ToString(), "Evermirror._http._tcp.local");
  EXPECT_EQ(std::get<DnsName>(announce.answers[1].rdata).ToString(), "_http._tcp.local");
  const SrvData srv = std::get<SrvData>(announce.answers[2].rdata);
  EXPECT_EQ(srv.port, 8080);
  EXPECT_EQ(srv.target.ToString(), "evermirror.local");
  EXPECT_TRUE(announce.answers[2].cache_flush);
  EXPECT_EQ(std::get<TxtData>(announce.answers[3].rdata), TxtData{"path=/"});
  EXPECT_EQ(std::get<uint32_t>(announce.answers[4].rdata), kAddrA);
  EXPECT_EQ(Decode(sent[4]), announce);
  EXPECT_EQ(box.responder().stats().renames, 0u);  // its own looped-back probes are no conflict
}

TEST_F(DnsSdResponderTest, AnswersBrowseWithSrvTxtAndAddressAsAdditionals) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  StartAndSettle(&box);
  Ask(Query("_http._tcp.local", kDnsTypePtr));
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_FALSE(Sent()[0].to.has_value());
  const DnsMessage reply = Decode(Sent()[0]);
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(reply.answers[0].type, kDnsTypePtr);
  ASSERT_EQ(reply.additionals.size(), 3u);
  EXPECT_EQ(reply.additionals[0].type, kDnsTypeSrv);
  EXPECT_EQ(reply.additionals[2].type, kDnsTypeA);
  EXPECT_TRUE(reply.questions.empty());
}

TEST_F(DnsSdResponderTest, AnswersServiceEnumerationAndHostAddress) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  StartAndSettle(&box);
  Ask(Query("_services._dns-sd._udp.local", kDnsTypePtr));
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_EQ(std::get<DnsName>(Decode(Sent()[0]).answers[0].rdata).ToString(), "_http._tcp.local");
  Ask(Query("EVERMIRROR.local", kDnsTypeA));
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_EQ(std::get<uint32_t>(Decode(Sent()[0]).answers[0].rdata), kAddrA);
  Ask(Query("other.local", kDnsTypeA));
  EXPECT_TRUE(Sent().empty());
}

TEST_F(DnsSdResponderTest, SuppressesKnownAnswers) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  StartAndSettle(&box);
  DnsMessage q = Query("_http._tcp.local", kDnsTypePtr);
  q.answers.push_back({DnsName::FromDotted("_http._tcp.local"), kDnsTypePtr, kDnsClassIn, false, 4000,
                       DnsName{{"Evermirror", "_http", "_tcp", "local"}}});
  Ask(q);
  EXPECT_TRUE(Sent().empty());
  q.answers[0].ttl = 100;  // less than half our TTL: the querier needs a refresh
  Ask(q);
  EXPECT_EQ(Sent().size(), 1u);
}

TEST_F(DnsSdResponderTest, HonoursUnicastResponseBitAndLegacyUnicast) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  StartAndSettle(&box);
  Ask(Query("_http._tcp.local", kDnsTypePtr, /*qu=*/true));
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_EQ(Sent()[0].to, kFromX);
  DnsMessage legacy = Query("Evermirror._http._tcp.local", kDnsTypeSrv);
  legacy.id = 0x1234;
  Ask(legacy, Ipv4Endpoint{kAddrX, 40000});
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_EQ(Sent()[0].to, (Ipv4Endpoint{kAddrX, 40000}));
  const DnsMessage reply = Decode(Sent()[0]);
  EXPECT_EQ(reply.id, 0x1234);
  EXPECT_EQ(reply.questions, legacy.questions);
  EXPECT_EQ(reply.answers[0].ttl, 10u);
  EXPECT_FALSE(reply.answers[0].cache_flush);
}

TEST_F(DnsSdResponderTest, RenamesWhenAnotherHostOwnsTheName) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  box.responder().Start();
  scheduler_.AdvanceBy(absl::Milliseconds(300));  // mid-probing
  DnsMessage defense;
  defense.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  defense.answers.push_back({DnsName{{"Evermirror", "_http", "_tcp", "local"}}, kDnsTypeSrv, kDnsClassIn, true, 120,
                             SrvData{0, 0, 80, DnsName::FromDotted("elsewhere.local")}});
  bus_.Inject(*EncodeDnsMessage(defense, true), kFromX);
  scheduler_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(box.responder().instance_name(), "Evermirror (2)");
  EXPECT_EQ(box.responder().state(), DnsSdResponder::State::kAnnounced);
  EXPECT_EQ(box.responder().stats().renames, 1u);
  const DnsMessage last = Decode(Sent().back());
  EXPECT_EQ(last.answers[2].name.ToString(), "Evermirror (2)._http._tcp.local");
}

TEST_F(DnsSdResponderTest, RenamesHostOnAddressConflict) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  box.responder().Start();
  scheduler_.AdvanceBy(absl::Milliseconds(300));
  DnsMessage other;
  other.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  other.answers.push_back({DnsName::FromDotted("evermirror.local"), kDnsTypeA, kDnsClassIn, true, 120, kAddrX});
  bus_.Inject(*EncodeDnsMessage(other, true), kFromX);
  scheduler_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(box.responder().host_name(), "evermirror-2");
  EXPECT_EQ(box.responder().instance_name(), "Evermirror");
}

TEST_F(DnsSdResponderTest, TwoBoxesWithOneNameEndUpDistinct) {
  Box a(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions(8080, "box-a"));
  Box b(&bus_, kAddrB, &clock_, &scheduler_, 2, GatewayOptions(8081, "box-b"));
  a.responder().Start();
  b.responder().Start();
  scheduler_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(a.responder().state(), DnsSdResponder::State::kAnnounced);
  EXPECT_EQ(b.responder().state(), DnsSdResponder::State::kAnnounced);
  EXPECT_NE(a.responder().instance_name(), b.responder().instance_name());
  EXPECT_EQ(a.responder().stats().renames + b.responder().stats().renames, 1u);
}

TEST_F(DnsSdResponderTest, AnnouncedBoxDefendsItsName) {
  Box a(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions(8080, "box-a"));
  StartAndSettle(&a);
  Box b(&bus_, kAddrB, &clock_, &scheduler_, 2, GatewayOptions(8081, "box-b"));
  StartAndSettle(&b);
  EXPECT_EQ(a.responder().instance_name(), "Evermirror");
  EXPECT_EQ(b.responder().instance_name(), "Evermirror (2)");
}

TEST_F(DnsSdResponderTest, SaysGoodbyeOnStop) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  StartAndSettle(&box);
  bus_.clear_sent();
  box.responder().Stop();
  ASSERT_EQ(Sent().size(), 1u);
  const DnsMessage bye = Decode(Sent()[0]);
  ASSERT_EQ(bye.answers.size(), 5u);
  for (const DnsRecord& r : bye.answers) EXPECT_EQ(r.ttl, 0u);
  Ask(Query("_http._tcp.local", kDnsTypePtr));
  EXPECT_TRUE(Sent().empty());
}

TEST_F(DnsSdResponderTest, IgnoresMalformedAndNonStandardMessages) {
  Box box(&bus_, kAddrA, &clock_, &scheduler_, 1, GatewayOptions());
  StartAndSettle(&box);
  DnsMessage q = Query("_http._tcp.local", kDnsTypePtr);
  q.flags = 0x2800;  // opcode 5 (UPDATE)
  Ask(q);
  EXPECT_TRUE(Sent().empty());
  bus_.Inject(std::string("\0\0\0\0\0\x01\0\0\0\0\0\0\xc0\x0c\0\x0c\0\x01", 18), kFromX);
  scheduler_.AdvanceBy(absl::Milliseconds(10));
  EXPECT_EQ(box.responder().state(), DnsSdResponder::State::kAnnounced);
}

}  // namespace
}  // namespace evermirror::lan
