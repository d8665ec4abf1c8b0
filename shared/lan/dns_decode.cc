// DNS message decoding: every read is bounds-checked against the datagram, every count against
// what the remaining bytes can hold, and compression pointers must point strictly backwards.
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "shared/base/bytes.h"
#include "shared/base/status_macros.h"
#include "shared/lan/dns_message.h"

namespace evermirror::lan {
namespace {

// Smallest wire sizes: a question is a root name + type + class; a record adds ttl + rdlength.
constexpr size_t kMinQuestionSize = 5;
constexpr size_t kMinRecordSize = 11;
constexpr size_t kHeaderSize = 12;

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed DNS message: ", std::string(what)));
}

class Decoder {
 public:
  explicit Decoder(std::string_view packet) : p_(packet) {}

  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ == p_.size(); }

  absl::Status U16(uint16_t* v) {
    if (p_.size() - pos_ < 2) return Malformed("truncated");
    *v = LoadU16BE(p_.data() + pos_);
    pos_ += 2;
    return absl::OkStatus();
  }
  absl::Status U32(uint32_t* v) {
    if (p_.size() - pos_ < 4) return Malformed("truncated");
    *v = LoadU32BE(p_.data() + pos_);
    pos_ += 4;
    return absl::OkStatus();
  }

  // Reads a possibly compressed name at the current position. Each pointer must target an offset
  // below the start of the label run that contains it, so the walk strictly descends and ends.
  absl::Status Name(DnsName* out) {
    out->labels.clear();
    size_t at = pos_;
    size_t run_start = pos_;
    size_t wire_length = 1;  // the root label
    bool jumped = false;
    while (true) {
      if (at >= p_.size()) return Malformed("truncated name");
      const uint8_t len = static_cast<uint8_t>(p_[at]);
      if (len == 0) {
        if (!jumped) pos_ = at + 1;
        return absl::OkStatus();
      }
      if ((len & 0xC0) == 0xC0) {
        if (at + 1 >= p_.size()) return Malformed("truncated pointer");
        const size_t target = (static_cast<size_t>(len & 0x3F) << 8) | static_cast<uint8_t>(p_[at + 1]);
        if (target >= run_start) return Malformed("compression pointer not backwards");
        if (!jumped) pos_ = at + 2;
        jumped = true;
        at = run_start = target;
        continue;
      }
      if ((len & 0xC0) != 0) return Malformed("reserved label type");
      if (p_.size() - at - 1 < len) return Malformed("truncated label");
      wire_length += len + 1;
      if (wire_length > kMaxNameWireLength) return Malformed("name too long");
      out->labels.emplace_back(p_.substr(at + 1, len));
      at += 1 + len;
    }
  }

  absl::Status Question(DnsQuestion* q) {
    EM_RETURN_IF_ERROR(Name(&q->name));
    uint16_t klass = 0;
    EM_RETURN_IF_ERROR(U16(&q->type));
    EM_RETURN_IF_ERROR(U16(&klass));
    q->unicast_response = (klass & 0x8000) != 0;
    q->klass = klass & 0x7FFF;
    return absl::OkStatus();
  }

  absl::Status Record(DnsRecord* r) {
    EM_RETURN_IF_ERROR(Name(&r->name));
    uint16_t klass = 0;
    uint16_t rdlength = 0;
    EM_RETURN_IF_ERROR(U16(&r->type));
    EM_RETURN_IF_ERROR(U16(&klass));
    EM_RETURN_IF_ERROR(U32(&r->ttl));
    EM_RETURN_IF_ERROR(U16(&rdlength));
    r->cache_flush = (klass & 0x8000) != 0;
    r->klass = klass & 0x7FFF;
    if (p_.size() - pos_ < rdlength) return Malformed("truncated rdata");
    const size_t end = pos_ + rdlength;
    EM_RETURN_IF_ERROR(Rdata(r->type, end, &r->rdata));
    if (pos_ != end) return Malformed("rdata length mismatch");
    return absl::OkStatus();
  }

 private:
  absl::Status Rdata(uint16_t type, size_t end, lan::Rdata* out) {
    switch (type) {
      case kDnsTypeA: {
        if (end - pos_ != 4) return Malformed("A rdata is not 4 bytes");
        uint32_t addr = 0;
        EM_RETURN_IF_ERROR(U32(&addr));
        *out = addr;
        return absl::OkStatus();
      }
      case kDnsTypePtr: {
        DnsName name;
        EM_RETURN_IF_ERROR(Name(&name));
        if (pos_ > end) return Malformed("PTR overruns rdata");
        *out = std::move(name);
        return absl::OkStatus();
      }
      case kDnsTypeSrv:
        return Srv(end, out);
      case kDnsTypeTxt:
        return Txt(end, out);
      default:
        *out = RawRdata{std::string(p_.substr(pos_, end - pos_))};
        pos_ = end;
        return absl::OkStatus();
    }
  }

  absl::Status Srv(size_t end, lan::Rdata* out) {
    if (end - pos_ < 7) return Malformed("SRV rdata too short");
    SrvData srv;
    EM_RETURN_IF_ERROR(U16(&srv.priority));
    EM_RETURN_IF_ERROR(U16(&srv.weight));
    EM_RETURN_IF_ERROR(U16(&srv.port));
    EM_RETURN_IF_ERROR(Name(&srv.target));
    if (pos_ > end) return Malformed("SRV overruns rdata");
    *out = std::move(srv);
    return absl::OkStatus();
  }

  absl::Status Txt(size_t end, lan::Rdata* out) {
    TxtData strings;
    while (pos_ < end) {
      const size_t len = static_cast<uint8_t>(p_[pos_]);
      if (end - pos_ - 1 < len) return Malformed("TXT string overruns rdata");
      strings.emplace_back(p_.substr(pos_ + 1, len));
      pos_ += 1 + len;
    }
    *out = std::move(strings);
    return absl::OkStatus();
  }

  std::string_view p_;
  size_t pos_ = 0;
};

absl::Status Records(Decoder* d, uint16_t count, std::vector<DnsRecord>* out) {
  out->resize(count);
  for (DnsRecord& r : *out) EM_RETURN_IF_ERROR(d->Record(&r));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DnsMessage> DecodeDnsMessage(std::string_view datagram) {
  if (datagram.size() > kMaxDatagramSize) return Malformed("datagram too large");
  if (datagram.size() < kHeaderSize) return Malformed("shorter than a header");
  Decoder d(datagram);
  DnsMessage m;
  uint16_t qd = 0, an = 0, ns = 0, ar = 0;
  EM_RETURN_IF_ERROR(d.U16(&m.id));
  EM_RETURN_IF_ERROR(d.U16(&m.flags));
  EM_RETURN_IF_ERROR(d.U16(&qd));
  EM_RETURN_IF_ERROR(d.U16(&an));
  EM_RETURN_IF_ERROR(d.U16(&ns));
  EM_RETURN_IF_ERROR(d.U16(&ar));
  const size_t records = size_t{an} + ns + ar;
  if (qd + records > kMaxRecordsPerMessage) return Malformed("too many entries");
  if (qd * kMinQuestionSize + records * kMinRecordSize > datagram.size() - kHeaderSize) {
    return Malformed("counts exceed the datagram");
  }
  m.questions.resize(qd);
  for (DnsQuestion& q : m.questions) EM_RETURN_IF_ERROR(d.Question(&q));
  EM_RETURN_IF_ERROR(Records(&d, an, &m.answers));
  EM_RETURN_IF_ERROR(Records(&d, ns, &m.authorities));
  EM_RETURN_IF_ERROR(Records(&d, ar, &m.additionals));
  if (!d.AtEnd()) return Malformed("trailing bytes");
  return m;
}

}  // namespace evermirror::lan
