#include "shared/dht/krpc.h"

#include <string>

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

using namespace std::string_view_literals;

NodeId Id(char c) { return *NodeId::FromBytes(std::string(20, c)); }

Message MustParse(std::string_view datagram) {
  Message msg;
  const absl::Status status = ParseMessage(datagram, 4096, &msg);
  EXPECT_TRUE(status.ok()) << status;
  return msg;
}

TEST(KrpcTest, ParsesBep5ExamplePing) {
  // The ping example from BEP 5, byte for byte.
  const Message msg = MustParse("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
  EXPECT_EQ(msg.kind, MessageKind::kQuery);
  EXPECT_EQ(msg.transaction_id, "aa");
  EXPECT_EQ(msg.query.method, Method::kPing);
  EXPECT_EQ(msg.query.id.view(), "abcdefghij0123456789");
}

TEST(KrpcTest, EncodesBep5ExampleAnnounce) {
  Query q;
  q.method = Method::kAnnouncePeer;
  q.id = *NodeId::FromBytes("abcdefghij0123456789");
  q.target = *NodeId::FromBytes("mnopqrstuvwxyz123456");
  q.port = 6881;
  q.token = "aoeusnth";
  q.implied_port = true;
  EXPECT_EQ(EncodeQuery("aa", q, ""),
            "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e"
            "5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe");
}

TEST(KrpcTest, QueryRoundTripsForEveryMethod) {
  for (Method m : {Method::kPing, Method::kFindNode, Method::kGetPeers, Method::kAnnouncePeer}) {
    Query q;
    q.method = m;
    q.id = Id('a');
    q.target = Id('t');
    q.token = "tok";
    q.port = 4000;
    const Message msg = MustParse(EncodeQuery("t1", q, std::string("EM\0\1", 4)));
    EXPECT_EQ(msg.query.method, m);
    EXPECT_EQ(msg.version, std::string("EM\0\1", 4));
    if (m != Method::kPing) {
      EXPECT_EQ(msg.query.target, Id('t'));
    }
    if (m == Method::kAnnouncePeer) {
      EXPECT_EQ(msg.query.port, 4000);
      EXPECT_EQ(msg.query.token, "tok");
      EXPECT_FALSE(msg.query.implied_port);
    }
  }
}

TEST(KrpcTest, ResponseRoundTripsNodesValuesToken) {
  Response r;
  r.id = Id('r');
  r.nodes = {Contact{Id('n'), Endpoint{0x7f000001, 1}}, Contact{Id('m'), Endpoint{0x7f000002, 2}}};
  r.values = {Endpoint{0x7f000003, 3}};
  r.token = "secret";
  const Message msg = MustParse(EncodeResponse("xy", r, ""));
  EXPECT_EQ(msg.kind, MessageKind::kResponse);
  EXPECT_EQ(msg.response.id, Id('r'));
  EXPECT_EQ(msg.response.nodes, r.nodes);
  EXPECT_EQ(msg.response.values, r.values);
  EXPECT_EQ(msg.response.token, "secret");
}

TEST(KrpcTest, SkipsIpv6ValuesButRejectsTornNodes) {
  Message msg = MustParse("d1:rd2:id20:abcdefghij01234567896:valuesl6:\x7f\x00\x00\x01\x00\x01" "18:"
                          "0123456789abcdefghee1:t1:x1:y1:re"sv);
  EXPECT_EQ(msg.response.values.size(), 1u);
  EXPECT_FALSE(ParseMessage("d1:rd2:id20:abcdefghij01234567895:nodes3:abce1:t1:x1:y1:re", 4096, &msg).ok());
}

TEST(KrpcTest, ErrorRoundTrips) {
  const Message msg = MustParse(EncodeError("ee", ErrorReply{kErrorProtocol, "bad token"}, ""));
  EXPECT_EQ(msg.kind, MessageKind::kError);
  EXPECT_EQ(msg.error.code, 203);
  EXPECT_EQ(msg.error.message, "bad token");
  EXPECT_EQ(EncodeError("aa", ErrorReply{201, "A Generic Error Ocurred"}, ""),
            "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
}

TEST(KrpcTest, UnknownMethodIsUnimplementedWithTransactionId) {
  Message msg;
  const absl::Status s = ParseMessage("d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:zz1:y1:qe", 4096, &msg);
  EXPECT_TRUE(absl::IsUnimplemented(s)) << s;
  EXPECT_EQ(msg.kind, MessageKind::kQuery);
  EXPECT_EQ(msg.transaction_id, "zz");
}

TEST(KrpcTest, MalformedQueriesAreInvalidArgument) {
  const char* bad[] = {
      "d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe",                                    // short id
      "d1:q4:ping1:t2:aa1:y1:qe",                                                   // no a
      "d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe",              // no target
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token1:xe1:q13:announce_peer"
      "1:t2:aa1:y1:qe",                                                             // port 0
      "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:xe",                   // bad y
      "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe",                          // no t
      "li1ee",                                                                      // not a dict
  };
  for (const char* datagram : bad) {
    Message msg;
    const absl::Status s = ParseMessage(datagram, 4096, &msg);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << datagram << " -> " << s;
  }
  Message msg;
  EXPECT_FALSE(ParseMessage(std::string(5000, 'x'), 4096, &msg).ok());
}

TEST(KrpcTest, ImpliedPortAllowsMissingPort) {
  const Message msg = MustParse(
      "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234565:token1:xe"
      "1:q13:announce_peer1:t2:aa1:y1:qe");
  EXPECT_TRUE(msg.query.implied_port);
}

}  // namespace
}  // namespace evermirror::dht
