// DnsSdResponder conflict detection: RFC 6762 §8.2 (simultaneous probe tie-breaking) and §9
// (conflicting records seen during probing or after announcing).
#include <algorithm>
#include <tuple>

#include "shared/lan/dns_sd_responder.h"

namespace evermirror::lan {
namespace {

using SortKey = std::tuple<uint16_t, uint16_t, std::string>;  // class, type, rdata

SortKey KeyOf(const DnsRecord& r) {
  absl::StatusOr<std::string> rdata = EncodeRdataUncompressed(r);
  return {r.klass, r.type, rdata.ok() ? *rdata : std::string()};
}

}  // namespace

bool DnsSdResponder::IsOurName(const DnsName& name, bool* is_host) const {
  if (name.EqualsIgnoreCase(host_fqdn_)) {
    *is_host = true;
    return true;
  }
  *is_host = false;
  return name.EqualsIgnoreCase(instance_fqdn_);
}

bool DnsSdResponder::IsOurRecord(const DnsRecord& record) const {
  return std::any_of(records_.begin(), records_.end(), [&](const Record& r) {
    return r.record.type == record.type && r.record.name.EqualsIgnoreCase(record.name) &&
           r.record.rdata == record.rdata;
  });
}

// < 0 if our proposed records for the name sort before the prober's (we lose), 0 if identical
// (our own probe looped back), > 0 if ours sort after (we win).
int DnsSdResponder::CompareProbe(const DnsMessage& probe, bool host) const {
  const DnsName& name = host ? host_fqdn_ : instance_fqdn_;
  std::vector<SortKey> ours;
  std::vector<SortKey> theirs;
  for (const Record& r : records_) {
    if (r.unique && r.record.name.EqualsIgnoreCase(name)) ours.push_back(KeyOf(r.record));
  }
  for (const DnsRecord& r : probe.authorities) {
    if (r.name.EqualsIgnoreCase(name)) theirs.push_back(KeyOf(r));
  }
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  if (ours == theirs) return 0;
  return std::lexicographical_compare(ours.begin(), ours.end(), theirs.begin(), theirs.end()) ? -1 : 1;
}

void DnsSdResponder::CheckConflicts(const DnsMessage& message) {
  if (!message.is_response()) {
    if (state_ != State::kProbing) return;  // announced: a probe for our name is answered instead
    for (bool host : {false, true}) {
      const DnsName& name = host ? host_fqdn_ : instance_fqdn_;
      const bool probes_us = std::any_of(message.authorities.begin(), message.authorities.end(),
                                         [&](const DnsRecord& r) { return r.name.EqualsIgnoreCase(name); });
      if (probes_us && CompareProbe(message, host) < 0) {
        // §8.2: the lexicographically later data wins; the loser waits a second and probes again.
        ++stats_.conflicts;
        RestartProbing(absl::Seconds(1));
        return;
      }
    }
    return;
  }
  for (const auto* section : {&message.answers, &message.additionals, &message.authorities}) {
    for (const DnsRecord& r : *section) {
      bool host = false;
      if (!IsOurName(r.name, &host) || IsOurRecord(r) || r.ttl == 0) continue;
      if (state_ == State::kProbing) {
        OnConflict(host);  // someone already owns the name: rename
        return;
      }
      // §9: announced and contradicted. Probe again; whoever defends makes us rename.
      const bool same_type = std::any_of(records_.begin(), records_.end(), [&](const Record& ours) {
        return ours.unique && ours.record.type == r.type && ours.record.name.EqualsIgnoreCase(r.name);
      });
      if (!same_type) continue;
      ++stats_.conflicts;
      RestartProbing(absl::ZeroDuration());
      return;
    }
  }
}

}  // namespace evermirror::lan
