#include "services/gateway/host_router.h"

#include "services/gateway/request_target.h"

namespace evermirror::gateway {
namespace {

constexpr size_t kMaxHostBytes = 255;

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool IsIpv4Literal(std::string_view host) {
  for (char c : host) {
    if (!(c >= '0' && c <= '9') && c != '.') return false;
  }
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

HostRouter::HostRouter(std::string_view gateway_domain,
                       const std::map<std::string, std::string>& host_aliases) {
  auto domain = NormalizeHost(gateway_domain);
  if (domain.ok()) domain_ = *domain;
  for (const auto& [host, key_text] : host_aliases) {
    auto name = NormalizeHost(host);
    auto key = ParseSiteKey(key_text);
    if (name.ok() && !name->empty() && key.has_value()) aliases_[*name] = *key;
  }
}

absl::StatusOr<std::string> HostRouter::NormalizeHost(std::string_view host) {
  if (host.size() > kMaxHostBytes + 6) return absl::InvalidArgumentError("Host too long");
  if (!host.empty() && host[0] == '[') {  // IPv6 literal: a gateway address, not a site
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("bad IPv6 Host");
    return std::string(host.substr(0, close + 1));
  }
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    const std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5) return absl::InvalidArgumentError("bad Host port");
    for (char c : port) {
      if (c < '0' || c > '9') return absl::InvalidArgumentError("bad Host port");
    }
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!IsHostChar(c)) return absl::InvalidArgumentError("invalid character in Host");
  }
  return out;
}

absl::StatusOr<HostRoute> HostRouter::Route(std::string_view host_field) const {
  auto host = NormalizeHost(host_field);
  if (!host.ok()) return host.status();
  HostRoute route;
  if (host->empty() || (*host)[0] == '[' || IsIpv4Literal(*host) || *host == "localhost" ||
      *host == domain_) {
    return route;
  }
  if (auto it = aliases_.find(*host); it != aliases_.end()) {
    route.kind = HostRoute::Kind::kKey;
    route.value = it->second;
    return route;
  }
  if (!domain_.empty() && EndsWith(*host, "." + domain_)) {
    const std::string label = host->substr(0, host->size() - domain_.size() - 1);
    if (label.find('.') == std::string::npos) {
      if (auto key = ParseSiteKey(label); key.has_value()) {
        route.kind = HostRoute::Kind::kKey;
        route.value = std::move(*key);
        return route;
      }
      route.kind = HostRoute::Kind::kAlias;
      route.value = label;
      return route;
    }
  }
  route.kind = HostRoute::Kind::kAlias;
  route.value = *host;
  route.fallback_to_path = true;
  return route;
}

}  // namespace evermirror::gateway
