// Endpoint formatting and the decode-once fan-out of received mDNS datagrams.
#include "shared/lan/mdns_transport.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "shared/base/logging.h"
#include "shared/base/strings.h"

namespace evermirror::lan {

std::string Ipv4ToString(uint32_t a) {
  return absl::StrCat(a >> 24, ".", (a >> 16) & 0xFF, ".", (a >> 8) & 0xFF, ".", a & 0xFF);
}

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(text), '.');
  if (parts.size() != 4) return std::nullopt;
  uint32_t address = 0;
  for (absl::string_view part : parts) {
    uint32_t octet = 0;
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(part, &octet) || octet > 255) {
      return std::nullopt;
    }
    address = (address << 8) | octet;
  }
  return address;
}

std::string Ipv4Endpoint::ToString() const { return absl::StrCat(Ipv4ToString(address), ":", port); }

void MdnsDispatcher::AddHandler(MdnsHandler* handler) {
  absl::WriterMutexLock lock(&mu_);
  handlers_.push_back(handler);
}

void MdnsDispatcher::RemoveHandler(MdnsHandler* handler) {
  absl::WriterMutexLock lock(&mu_);
  handlers_.erase(std::remove(handlers_.begin(), handlers_.end(), handler), handlers_.end());
}

bool MdnsDispatcher::Dispatch(std::string_view datagram, const Ipv4Endpoint& from) {
  received_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<DnsMessage> message = DecodeDnsMessage(datagram);
  if (!message.ok()) {
    malformed_.fetch_add(1, std::memory_order_relaxed);
    log::Debug("mdns_malformed_dropped").Kv("from", from.ToString()).Kv("error", message.status());
    return false;
  }
  absl::ReaderMutexLock lock(&mu_);
  for (MdnsHandler* handler : handlers_) handler->OnMdnsMessage(*message, from);
  return true;
}

}  // namespace evermirror::lan
