#include "shared/dht/node_id.h"

#include "gtest/gtest.h"
#include "shared/dht/endpoint.h"

namespace evermirror::dht {
namespace {

NodeId IdWithFirstByte(uint8_t b) {
  NodeId id;
  id.bytes[0] = b;
  return id;
}

TEST(NodeIdTest, XorDistanceAndPrefix) {
  const NodeId a = IdWithFirstByte(0x80);
  const NodeId b = IdWithFirstByte(0xc0);
  EXPECT_EQ(Distance(a, b).bytes[0], 0x40);
  EXPECT_EQ(CommonPrefixLength(a, b), 1);
  EXPECT_EQ(CommonPrefixLength(a, a), 160);
  EXPECT_TRUE(CloserTo(a, b, IdWithFirstByte(0x00)));
  EXPECT_FALSE(CloserTo(a, b, b));
}

TEST(NodeIdTest, RandomWithPrefixLandsInThatBucket) {
  env::SeededRandom random(7);
  const NodeId base = NodeId::Random(random);
  for (int prefix : {0, 1, 7, 8, 63, 159}) {
    const NodeId id = NodeId::RandomWithPrefix(base, prefix, random);
    EXPECT_EQ(CommonPrefixLength(base, id), prefix);
  }
}

TEST(NodeIdTest, HexAndBytes) {
  const std::optional<NodeId> id = NodeId::FromHex("0102030405060708090a0b0c0d0e0f1011121314");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->bytes[19], 0x14);
  EXPECT_EQ(id->ToHex(), "0102030405060708090a0b0c0d0e0f1011121314");
  EXPECT_FALSE(NodeId::FromHex("0102"));
  EXPECT_FALSE(NodeId::FromBytes("short"));
}

TEST(NodeIdTest, InfoHashIsFirst20BytesOfDiscoveryKey) {
  std::string dkey(32, '\0');
  for (int i = 0; i < 32; ++i) dkey[i] = static_cast<char>(i);
  const std::optional<NodeId> ih = InfoHashFromDiscoveryKey(dkey);
  ASSERT_TRUE(ih);
  EXPECT_EQ(ih->view(), dkey.substr(0, 20));
  EXPECT_FALSE(InfoHashFromDiscoveryKey("short"));
}

TEST(EndpointTest, ParsesAndFormats) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("127.0.0.1:6881");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ip, 0x7f000001u);
  EXPECT_EQ(e->port, 6881);
  EXPECT_EQ(e->ToString(), "127.0.0.1:6881");
  EXPECT_EQ(e->Compact(), std::string("\x7f\x00\x00\x01\x1a\xe1", 6));
  EXPECT_EQ(Endpoint::FromCompact(e->Compact()), *e);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "1.2.3:4", "a.b.c.d:1", "1.2.3.256:1",
                          "1.2.3.4:+5", "::1:5"}) {
    EXPECT_FALSE(ParseEndpoint(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseEndpoint("127.0.0.1:0", /*allow_port_zero=*/true).ok());
}

}  // namespace
}  // namespace evermirror::dht
