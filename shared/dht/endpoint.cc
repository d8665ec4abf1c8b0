#include "shared/dht/endpoint.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "shared/base/bytes.h"
#include "shared/base/strings.h"

namespace evermirror::dht {

std::string Ipv4ToString(uint32_t ip) {
  return absl::StrCat(ip >> 24, ".", (ip >> 16) & 0xff, ".", (ip >> 8) & 0xff, ".", ip & 0xff);
}

std::string Endpoint::ToString() const { return absl::StrCat(Ipv4ToString(ip), ":", port); }

std::string Endpoint::Compact() const {
  std::string out;
  AppendU32BE(&out, ip);
  AppendU16BE(&out, port);
  return out;
}

std::optional<Endpoint> Endpoint::FromCompact(std::string_view raw) {
  if (raw.size() != kCompactPeerSize) return std::nullopt;
  return Endpoint{LoadU32BE(raw.data()), LoadU16BE(raw.data() + 4)};
}

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(text), '.');
  if (parts.size() != 4) return std::nullopt;
  uint32_t ip = 0;
  for (absl::string_view part : parts) {
    uint32_t octet = 0;
    if (part.empty() || part.size() > 3 || !absl::SimpleAtoi(part, &octet) || octet > 255) return std::nullopt;
    if (part[0] < '0' || part[0] > '9') return std::nullopt;  // SimpleAtoi accepts "+1"
    ip = (ip << 8) | octet;
  }
  return ip;
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, bool allow_port_zero) {
  const size_t colon = text.rfind(':');
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("bad endpoint \"", ToAbsl(text), "\": want a.b.c.d:port"));
  };
  if (colon == std::string_view::npos) return bad();
  std::optional<uint32_t> ip = ParseIpv4(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  uint32_t port = 0;
  if (!ip || port_text.empty() || port_text[0] < '0' || port_text[0] > '9' ||
      !absl::SimpleAtoi(ToAbsl(port_text), &port) || port > 65535 || (port == 0 && !allow_port_zero)) {
    return bad();
  }
  return Endpoint{*ip, static_cast<uint16_t>(port)};
}

std::string Contact::Compact() const { return absl::StrCat(ToAbsl(id.view()), ToAbsl(endpoint.Compact())); }

std::optional<Contact> Contact::FromCompact(std::string_view raw) {
  if (raw.size() != kCompactNodeSize) return std::nullopt;
  std::optional<NodeId> id = NodeId::FromBytes(raw.substr(0, kIdSize));
  std::optional<Endpoint> endpoint = Endpoint::FromCompact(raw.substr(kIdSize));
  return Contact{*id, *endpoint};
}

}  // namespace evermirror::dht
