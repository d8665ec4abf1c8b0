// DNS message encoding with optional RFC 1035 name compression, and DnsName helpers.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "shared/base/bytes.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/lan/dns_message.h"

namespace evermirror::lan {

DnsName DnsName::FromDotted(std::string_view dotted) {
  DnsName name;
  if (!dotted.empty() && dotted.back() == '.') dotted.remove_suffix(1);
  if (dotted.empty()) return name;
  for (absl::string_view label : absl::StrSplit(ToAbsl(dotted), '.')) {
    name.labels.emplace_back(label);
  }
  return name;
}

std::string DnsName::ToString() const { return labels.empty() ? "." : absl::StrJoin(labels, "."); }

bool DnsName::EqualsIgnoreCase(const DnsName& other) const {
  if (labels.size() != other.labels.size()) return false;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!absl::EqualsIgnoreCase(labels[i], other.labels[i])) return false;
  }
  return true;
}

namespace {

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("cannot encode DNS message: ", std::string(what)));
}

class Encoder {
 public:
  explicit Encoder(bool compress) : compress_(compress) {}

  std::string& out() { return out_; }

  absl::Status Name(const DnsName& name) {
    size_t wire_length = 1;
    for (const std::string& label : name.labels) {
      if (label.empty() || label.size() > kMaxLabelLength) return Invalid("bad label length");
      wire_length += label.size() + 1;
    }
    if (wire_length > kMaxNameWireLength) return Invalid("name too long");
    for (size_t i = 0; i < name.labels.size(); ++i) {
      if (compress_) {
        const std::string suffix = SuffixKey(name, i);
        auto it = suffixes_.find(suffix);
        if (it != suffixes_.end()) {
          AppendU16BE(&out_, static_cast<uint16_t>(0xC000 | it->second));
          return absl::OkStatus();
        }
        if (out_.size() < 0x4000) suffixes_.emplace(suffix, static_cast<uint16_t>(out_.size()));
      }
      out_.push_back(static_cast<char>(name.labels[i].size()));
      out_ += name.labels[i];
    }
    out_.push_back('\0');
    return absl::OkStatus();
  }

  absl::Status Rdata(const DnsRecord& r) {
    switch (r.type) {
      case kDnsTypeA:
        if (auto* a = std::get_if<uint32_t>(&r.rdata)) {
          AppendU32BE(&out_, *a);
          return absl::OkStatus();
        }
        break;
      case kDnsTypePtr:
        if (auto* n = std::get_if<DnsName>(&r.rdata)) return Name(*n);
        break;
      case kDnsTypeSrv:
        if (auto* s = std::get_if<SrvData>(&r.rdata)) {
          AppendU16BE(&out_, s->priority);
          AppendU16BE(&out_, s->weight);
          AppendU16BE(&out_, s->port);
          return Name(s->target);
        }
        break;
      case kDnsTypeTxt:
        if (auto* t = std::get_if<TxtData>(&r.rdata)) return Txt(*t);
        break;
      default:
        if (auto* raw = std::get_if<RawRdata>(&r.rdata)) {
          out_ += raw->bytes;
          return absl::OkStatus();
        }
        break;
    }
    return Invalid(absl::StrCat("rdata does not match type ", r.type));
  }

  absl::Status Record(const DnsRecord& r) {
    EM_RETURN_IF_ERROR(Name(r.name));
    AppendU16BE(&out_, r.type);
    AppendU16BE(&out_, static_cast<uint16_t>((r.klass & 0x7FFF) | (r.cache_flush ? 0x8000 : 0)));
    AppendU32BE(&out_, r.ttl);
    const size_t length_at = out_.size();
    AppendU16BE(&out_, 0);
    EM_RETURN_IF_ERROR(Rdata(r));
    const size_t rdlength = out_.size() - length_at - 2;
    if (rdlength > 0xFFFF) return Invalid("rdata too long");
    out_[length_at] = static_cast<char>(rdlength >> 8);
    out_[length_at + 1] = static_cast<char>(rdlength & 0xFF);
    return absl::OkStatus();
  }

 private:
  absl::Status Txt(const TxtData& strings) {
    for (const std::string& s : strings) {
      if (s.size() > 255) return Invalid("TXT string over 255 bytes");
      out_.push_back(static_cast<char>(s.size()));
      out_ += s;
    }
    return absl::OkStatus();
  }

  static std::string SuffixKey(const DnsName& name, size_t from) {
    std::string key;
    for (size_t i = from; i < name.labels.size(); ++i) {
      key.push_back(static_cast<char>(name.labels[i].size()));
      key += name.labels[i];
    }
    return key;
  }

  const bool compress_;
  std::string out_;
  std::map<std::string, uint16_t> suffixes_;  // wire form of a label suffix -> its offset
};

absl::Status Section(Encoder* e, const std::vector<DnsRecord>& records) {
  for (const DnsRecord& r : records) EM_RETURN_IF_ERROR(e->Record(r));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> EncodeDnsMessage(const DnsMessage& m, bool compress) {
  const size_t entries =
      m.questions.size() + m.answers.size() + m.authorities.size() + m.additionals.size();
  if (entries > kMaxRecordsPerMessage) return Invalid("too many entries");
  Encoder e(compress);
  std::string& out = e.out();
  AppendU16BE(&out, m.id);
  AppendU16BE(&out, m.flags);
  AppendU16BE(&out, static_cast<uint16_t>(m.questions.size()));
  AppendU16BE(&out, static_cast<uint16_t>(m.answers.size()));
  AppendU16BE(&out, static_cast<uint16_t>(m.authorities.size()));
  AppendU16BE(&out, static_cast<uint16_t>(m.additionals.size()));
  for (const DnsQuestion& q : m.questions) {
    EM_RETURN_IF_ERROR(e.Name(q.name));
    AppendU16BE(&out, q.type);
    AppendU16BE(&out, static_cast<uint16_t>((q.klass & 0x7FFF) | (q.unicast_response ? 0x8000 : 0)));
  }
  EM_RETURN_IF_ERROR(Section(&e, m.answers));
  EM_RETURN_IF_ERROR(Section(&e, m.authorities));
  EM_RETURN_IF_ERROR(Section(&e, m.additionals));
  if (out.size() > kMaxDatagramSize) return Invalid("message over the datagram limit");
  return std::move(out);
}

absl::StatusOr<std::string> EncodeRdataUncompressed(const DnsRecord& record) {
  Encoder e(/*compress=*/false);
  EM_RETURN_IF_ERROR(e.Rdata(record));
  return std::move(e.out());
}

}  // namespace evermirror::lan
