#include "shared/dht/dht_node.h"

#include <vector>

#include "gtest/gtest.h"
#include "shared/dht/testing/sim_network.h"

namespace evermirror::dht {
namespace {

// A node plus a hand-driven raw peer that speaks KRPC to it through a SimNetwork.
class DhtNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_.AddRawEndpoint(kRaw, [this](const Endpoint&, const std::string& d) {
      Message m;
      if (ParseMessage(d, 65536, &m).ok()) received_.push_back(m);
    });
    node_ = net_.AddNode(DhtOptions());
    node_->Start();
  }

  // Sends `datagram` from the raw peer (or `from`) and returns the replies it caused.
  std::vector<Message> Exchange(const std::string& datagram, Endpoint from = kRaw) {
    received_.clear();
    net_.Send(from, net_.endpoint(0), datagram);
    scheduler_.AdvanceBy(absl::Milliseconds(100));
    std::vector<Message> replies;
    for (Message& m : received_) {
      if (m.kind != MessageKind::kQuery) replies.push_back(std::move(m));
    }
    return replies;
  }

  Query MakeQuery(Method method, char target = 'T') {
    Query q;
    q.method = method;
    q.id = raw_id_;
    q.target = *NodeId::FromBytes(std::string(20, target));
    return q;
  }

  static constexpr Endpoint kRaw{0x7f090001, 1000};
  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  SimNetwork net_{&clock_, &scheduler_, SimNetworkOptions{}};
  DhtNode* node_ = nullptr;
  NodeId raw_id_ = *NodeId::FromBytes(std::string(20, 'R'));
  std::vector<Message> received_;
};

TEST_F(DhtNodeTest, AnswersPingAndVerifiesUnknownQuerier) {
  const std::vector<Message> replies = Exchange(EncodeQuery("p1", MakeQuery(Method::kPing), ""));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].kind, MessageKind::kResponse);
  EXPECT_EQ(replies[0].transaction_id, "p1");
  EXPECT_EQ(replies[0].response.id, node_->id());
  // The node pinged us back before trusting our address.
  ASSERT_EQ(received_.size(), 2u);
  const Message& ping = received_[0].kind == MessageKind::kQuery ? received_[0] : received_[1];
  EXPECT_EQ(ping.query.method, Method::kPing);
  EXPECT_EQ(node_->stats().table_size, 0u);
  Response pong;
  pong.id = raw_id_;
  Exchange(EncodeResponse(ping.transaction_id, pong, ""));
  EXPECT_EQ(node_->stats().table_size, 1u);
  EXPECT_EQ(node_->stats().queries_in[static_cast<int>(Method::kPing)], 1u);
}

TEST_F(DhtNodeTest, MalformedInputGetsErrorRepliesAndCounters) {
  // Junk without a transaction id: dropped, counted, no reply.
  EXPECT_TRUE(Exchange("not bencode at all").empty());
  EXPECT_TRUE(Exchange("d1:y1:re").empty());
  EXPECT_EQ(node_->stats().malformed_in, 2u);
  // A query missing its arguments: error 203.
  std::vector<Message> replies = Exchange("d1:ad2:id20:RRRRRRRRRRRRRRRRRRRRe1:q9:find_node1:t2:f11:y1:qe");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].kind, MessageKind::kError);
  EXPECT_EQ(replies[0].error.code, kErrorProtocol);
  EXPECT_EQ(replies[0].transaction_id, "f1");
  // An unknown method: error 204.
  replies = Exchange("d1:ad2:id20:RRRRRRRRRRRRRRRRRRRRe1:q6:vote_x1:t2:u11:y1:qe");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].error.code, kErrorMethodUnknown);
  // Oversized: dropped.
  EXPECT_TRUE(Exchange(std::string(5000, 'd')).empty());
  const DhtStats s = node_->stats();
  EXPECT_EQ(s.malformed_in, 5u);
  EXPECT_EQ(s.unknown_method_in, 1u);
  EXPECT_EQ(s.errors_out, 2u);
}

TEST_F(DhtNodeTest, AnnounceNeedsTokenBoundToRequesterIp) {
  std::vector<Message> replies = Exchange(EncodeQuery("g1", MakeQuery(Method::kGetPeers), ""));
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_TRUE(replies[0].response.token.has_value());
  const std::string token = *replies[0].response.token;
  EXPECT_TRUE(replies[0].response.values.empty());

  Query announce = MakeQuery(Method::kAnnouncePeer);
  announce.port = 7000;
  announce.token = "wrong!!!";
  replies = Exchange(EncodeQuery("a1", announce, ""));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].error.code, kErrorProtocol);
  // The right token from another IP is refused too.
  announce.token = token;
  replies = Exchange(EncodeQuery("a2", announce, ""), Endpoint{0x7f090002, 1000});
  ASSERT_EQ(replies.size(), 0u);  // no raw receiver at that address, but the node replied with an error
  EXPECT_EQ(node_->stats().bad_tokens_in, 2u);

  replies = Exchange(EncodeQuery("a3", announce, ""));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].kind, MessageKind::kResponse);
  replies = Exchange(EncodeQuery("g2", MakeQuery(Method::kGetPeers), ""));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].response.values, std::vector<Endpoint>{(Endpoint{kRaw.ip, 7000})});

  // implied_port: the source port is stored instead of `port`.
  announce.implied_port = true;
  announce.target = *NodeId::FromBytes(std::string(20, 'I'));
  Exchange(EncodeQuery("a4", announce, ""));
  replies = Exchange(EncodeQuery("g3", MakeQuery(Method::kGetPeers, 'I'), ""));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].response.values, std::vector<Endpoint>{kRaw});
  EXPECT_EQ(node_->stats().announces_stored, 2u);
}

TEST_F(DhtNodeTest, RateLimitsQueriesPerSourceIp) {
  received_.clear();
  for (int i = 0; i < 200; ++i) net_.Send(kRaw, net_.endpoint(0), EncodeQuery("r" + std::to_string(i), MakeQuery(Method::kPing), ""));
  scheduler_.AdvanceBy(absl::Milliseconds(100));
  size_t responses = 0;
  for (const Message& m : received_) responses += m.kind == MessageKind::kResponse;
  const DhtOptions defaults;
  EXPECT_LE(responses, static_cast<size_t>(defaults.rate_limit.burst) + 2);
  EXPECT_GE(node_->stats().rate_limited_in, 200 - responses - 2);
  // Another source is unaffected.
  EXPECT_EQ(Exchange(EncodeQuery("o1", MakeQuery(Method::kPing), ""), Endpoint{0x7f090003, 5}).size(), 0u);
  EXPECT_EQ(node_->stats().queries_in[static_cast<int>(Method::kPing)], responses + 1);
}

TEST_F(DhtNodeTest, FindNodeReturnsClosestKnownNodes) {
  // Teach the node about the raw peer through the ping-back.
  std::vector<Message> replies = Exchange(EncodeQuery("p1", MakeQuery(Method::kPing), ""));
  for (const Message& m : received_) {
    if (m.kind == MessageKind::kQuery) {
      Response pong;
      pong.id = raw_id_;
      Exchange(EncodeResponse(m.transaction_id, pong, ""));
    }
  }
  replies = Exchange(EncodeQuery("f1", MakeQuery(Method::kFindNode), ""));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].response.nodes, std::vector<Contact>{(Contact{raw_id_, kRaw})});
}

TEST_F(DhtNodeTest, IgnoresRepliesFromWrongAddressAndTimesOut) {
  node_->AddNode(kRaw);
  scheduler_.AdvanceBy(absl::Milliseconds(100));
  ASSERT_EQ(received_.size(), 1u);
  Response pong;
  pong.id = raw_id_;
  // The right transaction id from another address is not accepted.
  net_.Send(Endpoint{0x7f090009, 1}, net_.endpoint(0), EncodeResponse(received_[0].transaction_id, pong, ""));
  scheduler_.AdvanceBy(absl::Seconds(5));
  const DhtStats s = node_->stats();
  EXPECT_EQ(s.unexpected_replies, 1u);
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.table_size, 0u);
}

}  // namespace
}  // namespace evermirror::dht
