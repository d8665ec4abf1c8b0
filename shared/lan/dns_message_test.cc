#include "shared/lan/dns_message.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"

namespace evermirror::lan {
namespace {

std::string Bytes(std::string_view hex) {
  std::optional<std::string> b = FromHex(hex);
  EXPECT_TRUE(b.has_value()) << hex;
  return b.value_or("");
}

// Captured from discovery-swarm 6.1.0 (dns-discovery 6.2.3) joining topic 00112233...33 with
// TCP port 33185, in a private network namespace.
constexpr std::string_view kReferenceQuery =
    "000000000001000000000000283030313132323333343435353636373738383939616162626363646465656666"
    "303031313232333303646174056c6f63616c0000100001";
constexpr std::string_view kReferenceAnswer =
    "00008400000100010000000028303031313232333334343535363637373838393961616262636364646565666630"
    "3031313232333303646174056c6f63616c0000100001283030313132323333343435353636373738383939616162"
    "626363646465656666303031313232333303646174056c6f63616c000010000100000000004232746f6b656e3d46"
    "7a7234423831536e706d5646346774385a6f3164576947623056772f307376574c786d70677254707a773d0e7065"
    "6572733d4141414141494768";

TEST(DnsMessageTest, DecodesReferenceQuery) {
  absl::StatusOr<DnsMessage> m = DecodeDnsMessage(Bytes(kReferenceQuery));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->id, 0);
  EXPECT_EQ(m->flags, 0);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name.ToString(), "00112233445566778899aabbccddeeff00112233.dat.local");
  EXPECT_EQ(m->questions[0].type, kDnsTypeTxt);
  EXPECT_EQ(m->questions[0].klass, kDnsClassIn);
  EXPECT_FALSE(m->questions[0].unicast_response);
}

TEST(DnsMessageTest, DecodesReferenceAnswerAndReencodesIdentically) {
  const std::string full = Bytes(kReferenceAnswer);
  absl::StatusOr<DnsMessage> m = DecodeDnsMessage(full);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->flags, kDnsFlagResponse | kDnsFlagAuthoritative);
  ASSERT_EQ(m->answers.size(), 1u);
  const DnsRecord& a = m->answers[0];
  EXPECT_EQ(a.type, kDnsTypeTxt);
  EXPECT_EQ(a.ttl, 0u);
  const auto& txt = std::get<TxtData>(a.rdata);
  ASSERT_EQ(txt.size(), 2u);
  EXPECT_EQ(txt[0].substr(0, 6), "token=");
  EXPECT_EQ(txt[1], "peers=AAAAAIGh");
  absl::StatusOr<std::string> again = EncodeDnsMessage(*m, /*compress=*/false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, full);
}

DnsMessage SampleResponse() {
  DnsMessage m;
  m.id = 7;
  m.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  const DnsName instance{{"My Box (2)", "_http", "_tcp", "local"}};
  const DnsName host = DnsName::FromDotted("box.local");
  m.questions.push_back({DnsName::FromDotted("_http._tcp.local"), kDnsTypePtr, kDnsClassIn, true});
  m.answers.push_back({DnsName::FromDotted("_http._tcp.local"), kDnsTypePtr, kDnsClassIn, false, 4500, instance});
  m.answers.push_back({instance, kDnsTypeSrv, kDnsClassIn, true, 120, SrvData{1, 2, 8080, host}});
  m.authorities.push_back({instance, kDnsTypeTxt, kDnsClassIn, true, 4500, TxtData{"path=/", ""}});
  m.additionals.push_back({host, kDnsTypeA, kDnsClassIn, true, 120, uint32_t{0xA9FE4D01}});
  m.additionals.push_back({host, kDnsTypeAaaa, kDnsClassIn, true, 120, RawRdata{std::string(16, '\x01')}});
  m.additionals.push_back({host, 99, 3, false, 5, RawRdata{"xyz"}});
  return m;
}

TEST(DnsMessageTest, RoundTripsWithAndWithoutCompression) {
  const DnsMessage m = SampleResponse();
  absl::StatusOr<std::string> plain = EncodeDnsMessage(m, false);
  absl::StatusOr<std::string> packed = EncodeDnsMessage(m, true);
  ASSERT_TRUE(plain.ok() && packed.ok());
  EXPECT_LT(packed->size(), plain->size());
  for (const std::string* wire : {&*plain, &*packed}) {
    absl::StatusOr<DnsMessage> back = DecodeDnsMessage(*wire);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, m);
  }
}

TEST(DnsMessageTest, NamesCompareIgnoringCase) {
  EXPECT_TRUE(DnsName::FromDotted("ABC.Dat.LOCAL.").EqualsIgnoreCase(DnsName::FromDotted("abc.dat.local")));
  EXPECT_FALSE(DnsName::FromDotted("abc.dat").EqualsIgnoreCase(DnsName::FromDotted("abc.dat.local")));
  EXPECT_EQ(DnsName::FromDotted("").ToString(), ".");
}

// Header with one question, then `body`.
std::string OneQuestion(const std::string& body_hex) { return Bytes("000000000001000000000000" + body_hex); }

TEST(DnsMessageTest, RejectsCompressionLoopsAndForwardPointers) {
  EXPECT_FALSE(DecodeDnsMessage(OneQuestion("c00c00010001")).ok());  // points at itself
  EXPECT_FALSE(DecodeDnsMessage(OneQuestion("c00e0000010001")).ok());  // points forward
  // a -> pointer back to offset 12, which is "a" again: a loop through a label.
  EXPECT_FALSE(DecodeDnsMessage(OneQuestion("0161c00c00010001")).ok());
  // A valid backwards pointer: the question name points at a name in... nothing before the
  // header ends, so the first legal target is inside the questions. Two questions, 2nd -> 1st.
  const std::string two = Bytes("000000000002000000000000" "01610000010001" "c00c00010001");
  absl::StatusOr<DnsMessage> m = DecodeDnsMessage(two);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->questions[1].name.ToString(), "a");
}

TEST(DnsMessageTest, RejectsOverlongNamesAndLabels) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += "3f" + std::string(126, '6');  // five 63-byte labels = 320 bytes
  EXPECT_FALSE(DecodeDnsMessage(OneQuestion(body + "0000010001")).ok());
  EXPECT_FALSE(DecodeDnsMessage(OneQuestion("4061" "0000010001")).ok());  // 0x40: reserved label type
  DnsMessage m;
  m.questions.push_back({DnsName{{std::string(64, 'x')}}, kDnsTypeA, kDnsClassIn, false});
  EXPECT_FALSE(EncodeDnsMessage(m, true).ok());
  m.questions[0].name = DnsName{{""}};
  EXPECT_FALSE(EncodeDnsMessage(m, true).ok());
}

TEST(DnsMessageTest, RejectsTruncationTrailingBytesAndImpossibleCounts) {
  const std::string good = *EncodeDnsMessage(SampleResponse(), true);
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(DecodeDnsMessage(good.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(DecodeDnsMessage(good + "x").ok());
  EXPECT_FALSE(DecodeDnsMessage(Bytes("0000000001000000ffff0000")).ok());  // 65535 answers, no bytes
  EXPECT_FALSE(DecodeDnsMessage(std::string(kMaxDatagramSize + 1, '\0')).ok());
}

TEST(DnsMessageTest, RejectsRdataThatDisagreesWithItsLength) {
  // An A record with rdlength 5, and a TXT whose string runs past rdlength.
  EXPECT_FALSE(DecodeDnsMessage(Bytes("000084000000000100000000" "0161" "00" "00010001" "00000000" "0005" "0102030405")).ok());
  EXPECT_FALSE(DecodeDnsMessage(Bytes("000084000000000100000000" "00" "00100001" "00000000" "0002" "0561")).ok());
  EXPECT_FALSE(DecodeDnsMessage(Bytes("000084000000000100000000" "00" "00210001" "00000000" "0006" "000000000000")).ok());
}

TEST(DnsMessageTest, EncodeRejectsTypeRdataMismatchAndLongTxt) {
  DnsMessage m;
  m.answers.push_back({DnsName::FromDotted("a.local"), kDnsTypeA, kDnsClassIn, false, 1, TxtData{"x"}});
  EXPECT_FALSE(EncodeDnsMessage(m, false).ok());
  m.answers[0] = {DnsName::FromDotted("a.local"), kDnsTypeTxt, kDnsClassIn, false, 1, TxtData{std::string(256, 'x')}};
  EXPECT_FALSE(EncodeDnsMessage(m, false).ok());
}

}  // namespace
}  // namespace evermirror::lan
