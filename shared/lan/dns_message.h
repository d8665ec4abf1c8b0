// A strict, bounded DNS message codec for multicast DNS: the header, questions and resource
// records (A, PTR, SRV, TXT decoded; AAAA and every other type kept as opaque rdata). Used by the
// dns-discovery logic (dat_lan_discovery.h) and the DNS-SD responder (dns_sd_responder.h).
// Decoding never trusts a length, count or compression pointer; bad input is an InvalidArgument.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace evermirror::lan {

// Record and question types this codec names (others pass through as DnsType values).
enum DnsType : uint16_t {
  kDnsTypeA = 1,
  kDnsTypePtr = 12,
  kDnsTypeTxt = 16,
  kDnsTypeAaaa = 28,
  kDnsTypeSrv = 33,
  kDnsTypeNsec = 47,
  kDnsTypeAny = 255,
};
inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr uint16_t kDnsClassAny = 255;
inline constexpr uint16_t kDnsFlagResponse = 0x8000;       // QR
inline constexpr uint16_t kDnsFlagAuthoritative = 0x0400;  // AA

// Wire limits (RFC 1035 §2.3.4; RFC 6762 §17 for the datagram size).
inline constexpr size_t kMaxLabelLength = 63;
inline constexpr size_t kMaxNameWireLength = 255;
inline constexpr size_t kMaxDatagramSize = 9000;
inline constexpr size_t kMaxRecordsPerMessage = 512;  // all sections together

// A domain name as its labels, without the root label: {"_http", "_tcp", "local"}.
// Labels are raw bytes and may contain '.', as DNS-SD instance names can.
struct DnsName {
  std::vector<std::string> labels;

  // Splits "a.b.local" at dots (a trailing dot is ignored). No escapes: for names built in code.
  static DnsName FromDotted(std::string_view dotted);
  // Labels joined with '.' (for logs and tests; ambiguous when a label holds a dot).
  std::string ToString() const;
  // DNS names compare ASCII-case-insensitively (RFC 4343).
  bool EqualsIgnoreCase(const DnsName& other) const;
  bool operator==(const DnsName& other) const = default;
};

struct DnsQuestion {
  DnsName name;
  uint16_t type = kDnsTypeAny;
  uint16_t klass = kDnsClassIn;   // without the top bit
  bool unicast_response = false;  // the mDNS "QU" bit (top bit of the class)
  bool operator==(const DnsQuestion& other) const = default;
};

struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  DnsName target;
  bool operator==(const SrvData& other) const = default;
};

// Rdata by type: A = 4 address bytes in a uint32 (host order), PTR = a name, SRV, TXT = its
// character-strings, and for every other type (AAAA, NSEC, OPT, ...) the raw bytes.
// Names inside NSEC and other unknown types are kept compressed as received: never re-encode
// an unknown record taken from a packet you did not build.
struct RawRdata {
  std::string bytes;
  bool operator==(const RawRdata& other) const = default;
};
using TxtData = std::vector<std::string>;
using Rdata = std::variant<uint32_t, DnsName, SrvData, TxtData, RawRdata>;

struct DnsRecord {
  DnsName name;
  uint16_t type = kDnsTypeA;
  uint16_t klass = kDnsClassIn;  // without the top bit
  bool cache_flush = false;      // the mDNS cache-flush bit (top bit of the class)
  uint32_t ttl = 0;
  Rdata rdata;
  bool operator==(const DnsRecord& other) const = default;
};

struct DnsMessage {
  uint16_t id = 0;
  uint16_t flags = 0;  // QR, opcode, AA, TC, RD, RA, Z, RCODE as on the wire
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;
  std::vector<DnsRecord> authorities;
  std::vector<DnsRecord> additionals;

  bool is_response() const { return (flags & kDnsFlagResponse) != 0; }
  bool operator==(const DnsMessage& other) const = default;
};

// Decodes one datagram. Returns InvalidArgument for anything malformed: truncation, trailing
// bytes, a count the packet cannot hold, more than kMaxRecordsPerMessage entries, a label over
// 63 bytes, a name over 255 wire bytes, a compression pointer that does not point strictly
// backwards (so loops are impossible), rdata that disagrees with its rdlength, or a datagram
// over kMaxDatagramSize. Thread-safe (no state).
absl::StatusOr<DnsMessage> DecodeDnsMessage(std::string_view datagram);

// Encodes `message`, with RFC 1035 name compression when `compress` (exact suffix matches,
// pointers only to offsets below 0x4000), so decoding the result gives back `message`. Returns InvalidArgument for an empty or
// over-long label, a name over 255 wire bytes, a TXT string over 255 bytes, an A record whose
// rdata is not a uint32, a type/rdata mismatch, or a result over kMaxDatagramSize.
absl::StatusOr<std::string> EncodeDnsMessage(const DnsMessage& message, bool compress);

// The rdata of `record` in wire form without compression (for RFC 6762 §8.2 tie-breaking and
// comparing records). Same errors as EncodeDnsMessage.
absl::StatusOr<std::string> EncodeRdataUncompressed(const DnsRecord& record);

}  // namespace evermirror::lan
