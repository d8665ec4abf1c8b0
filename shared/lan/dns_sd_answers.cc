// DnsSdResponder query answering (RFC 6762 §6): matching questions, additional records,
// known-answer suppression (§7.1), the unicast-response bit (§5.4) and legacy unicast (§6.7).
#include <algorithm>

#include "shared/lan/dns_sd_responder.h"

namespace evermirror::lan {
namespace {

constexpr uint32_t kLegacyUnicastTtl = 10;  // §6.7

void AddUnique(std::vector<size_t>* v, size_t i) {
  if (std::find(v->begin(), v->end(), i) == v->end()) v->push_back(i);
}

}  // namespace

void DnsSdResponder::Collect(const DnsQuestion& q, std::vector<size_t>* answers,
                             std::vector<size_t>* additionals) const {
  if (q.klass != kDnsClassIn && q.klass != kDnsClassAny) return;
  for (size_t i = 0; i < records_.size(); ++i) {
    const DnsRecord& r = records_[i].record;
    if ((q.type == kDnsTypeAny || q.type == r.type) && q.name.EqualsIgnoreCase(r.name)) AddUnique(answers, i);
  }
  // RFC 6763 §12: a service PTR brings its SRV, TXT and address; an SRV brings the address.
  for (size_t i : std::vector<size_t>(*answers)) {
    const DnsRecord& r = records_[i].record;
    const bool service_ptr = r.type == kDnsTypePtr && std::get<DnsName>(r.rdata) == instance_fqdn_;
    for (size_t j = 0; j < records_.size(); ++j) {
      const DnsRecord& extra = records_[j].record;
      const bool wanted = (service_ptr && extra.type != kDnsTypePtr) ||
                          (r.type == kDnsTypeSrv && extra.type == kDnsTypeA);
      if (wanted) AddUnique(additionals, j);
    }
  }
}

bool DnsSdResponder::KnownAnswer(const DnsMessage& query, const Record& record) const {
  return std::any_of(query.answers.begin(), query.answers.end(), [&](const DnsRecord& known) {
    return known.type == record.record.type && known.name.EqualsIgnoreCase(record.record.name) &&
           known.rdata == record.record.rdata && known.ttl >= record.record.ttl / 2;
  });
}

void DnsSdResponder::Answer(const DnsMessage& query, const Ipv4Endpoint& from) {
  std::vector<size_t> answers;
  std::vector<size_t> additionals;
  bool all_qu = !query.questions.empty();
  for (const DnsQuestion& q : query.questions) {
    Collect(q, &answers, &additionals);
    all_qu = all_qu && q.unicast_response;
  }
  std::erase_if(answers, [&](size_t i) { return KnownAnswer(query, records_[i]); });
  std::erase_if(additionals, [&](size_t i) { return std::find(answers.begin(), answers.end(), i) != answers.end(); });
  if (answers.empty()) return;

  const bool legacy = from.port != kMdnsPort;
  const bool multicast = !legacy && !all_qu;
  const absl::Time now = clock_->Now();
  if (multicast) {
    // §6: at most one multicast per record per second, a quarter of that to defend against a probe.
    const absl::Duration gap = query.authorities.empty() ? absl::Seconds(1) : absl::Milliseconds(250);
    std::erase_if(answers, [&](size_t i) { return now - records_[i].last_multicast < gap; });
    if (answers.empty()) return;
  }
  DnsMessage reply;
  reply.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  if (legacy) {
    reply.id = query.id;
    reply.questions = query.questions;
  }
  auto emit = [&](size_t i, std::vector<DnsRecord>* section) {
    DnsRecord r = records_[i].record;
    r.cache_flush = records_[i].unique && !legacy;
    if (legacy) r.ttl = std::min(r.ttl, kLegacyUnicastTtl);
    section->push_back(std::move(r));
    if (multicast) records_[i].last_multicast = now;
  };
  for (size_t i : answers) emit(i, &reply.answers);
  for (size_t i : additionals) emit(i, &reply.additionals);
  Send(reply, multicast ? std::nullopt : std::optional<Ipv4Endpoint>(from));
  ++stats_.responses_sent;
}

}  // namespace evermirror::lan
