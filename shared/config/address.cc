#include "shared/config/address.h"

#include <arpa/inet.h>


#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "shared/base/strings.h"

namespace evermirror::config {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";

bool IsHostChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'; }

absl::Status CheckHost(std::string_view host, bool bracketed) {
  if (host.empty()) return absl::InvalidArgumentError("missing host (use 0.0.0.0 for all interfaces)");
  if (bracketed) {
    in6_addr v6;
    if (inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("\"", ToAbsl(host), "\" is not an IPv6 address"));
    }
    return absl::OkStatus();
  }
  for (char c : host) {
    if (!IsHostChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad character '", std::string(1, c), "' in host (IPv6 goes in brackets: [::1]:port)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ParsePort(std::string_view text) {
  int port = 0;
  if (text.empty() || !absl::SimpleAtoi(ToAbsl(text), &port) || text[0] == '+' || text[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("bad port \"", ToAbsl(text), "\""));
  }
  if (port < 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("port ", port, " is out of range 0..65535"));
  return port;
}

absl::StatusOr<Address> ParseTcp(std::string_view text) {
  Address address;
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError("expected [ipv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    bracketed = true;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return absl::InvalidArgumentError("missing \":port\"");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (absl::Status s = CheckHost(host, bracketed); !s.ok()) return s;
  absl::StatusOr<int> port_number = ParsePort(port);
  if (!port_number.ok()) return port_number.status();
  address.host = std::string(host);
  address.port = *port_number;
  return address;
}

}  // namespace

absl::StatusOr<Address> ParseAddress(std::string_view text) {
  absl::StatusOr<Address> parsed;
  if (text.substr(0, kUnixPrefix.size()) == kUnixPrefix) {
    std::string_view path = text.substr(kUnixPrefix.size());
    if (path.substr(0, 2) == "//") path.remove_prefix(2);
    if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("address \"", ToAbsl(text), "\": empty unix socket path"));
    Address address;
    address.kind = Address::Kind::kUnix;
    address.path = std::string(path);
    return address;
  }
  parsed = ParseTcp(text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", ToAbsl(text), "\": ", parsed.status().message(),
                                                   " (expected host:port or unix:/path)"));
  }
  return parsed;
}

bool Address::IsLoopback() const {
  if (kind == Kind::kUnix) return true;
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string Address::ToString() const {
  if (kind == Kind::kUnix) return absl::StrCat("unix:", path);
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace evermirror::config
