#include "services/gateway/request_target.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "shared/base/hex.h"
#include "services/gateway/site_source.h"

namespace evermirror::gateway {
namespace {

constexpr uint64_t kMaxVersion = uint64_t{1} << 62;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one raw segment. Rejects malformed escapes, NUL and '/' (which cannot occur in a
// hyperdrive name, so an encoded one can only be an attempt to confuse path handling).
// REQUIRES: `raw` holds only IsRawTargetChar characters (so no raw NUL).
absl::StatusOr<std::string> DecodeSegment(std::string_view raw) {
  if (raw.find('%') == std::string_view::npos) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return absl::InvalidArgumentError("truncated percent-escape");
      const int hi = HexDigit(raw[i + 1]);
      const int lo = HexDigit(raw[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent-escape");
      c = static_cast<char>((hi << 4) | lo);
      i += 2;
      if (c == '/') return absl::InvalidArgumentError("encoded '/' in path");
    }
    if (c == '\0') return absl::InvalidArgumentError("NUL in path");
    out.push_back(c);
  }
  return out;
}

bool IsRawTargetChar(unsigned char c) { return c > 0x20 && c < 0x7f; }

std::optional<uint64_t> ParseVersion(std::string_view text) {
  if (text.empty() || text.size() > 19 || text[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxVersion) return std::nullopt;
  return v;
}

// Splits the path at '/' and decodes each segment; empty segments are dropped.
absl::Status SplitPath(std::string_view path, size_t max_segments,
                       std::vector<std::string>* segments) {
  size_t start = 1;
  size_t count = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (++count > max_segments) return absl::InvalidArgumentError("too many path segments");
    auto segment = DecodeSegment(path.substr(start, end - start));
    if (!segment.ok()) return segment.status();
    if (!segment->empty()) segments->push_back(std::move(*segment));
    start = end + 1;
  }
  return absl::OkStatus();
}

// Resolves "." and ".." in segments[begin..] (RFC 3986 remove_dot_segments), except that
// climbing above segments[begin] is an error rather than silently clamped.
absl::StatusOr<std::string> JoinResolved(const std::vector<std::string>& segments, size_t begin) {
  std::vector<const std::string*> out;
  for (size_t i = begin; i < segments.size(); ++i) {
    if (segments[i] == "..") {
      if (out.empty()) return absl::InvalidArgumentError("'..' escapes the site root");
      out.pop_back();
    } else if (segments[i] != ".") {
      out.push_back(&segments[i]);
    }
  }
  std::string joined;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) joined.push_back('/');
    joined += *out[i];
  }
  return joined;
}

}  // namespace

std::optional<std::string> ParseSiteKey(std::string_view text) {
  std::optional<std::string> raw;
  if (text.size() == 2 * kSiteKeySize) {
    raw = FromHex(text);
  } else if (text.size() == (kSiteKeySize * 8 + 4) / 5) {
    raw = FromZBase32(text);
  }
  if (!raw.has_value() || raw->size() != kSiteKeySize) return std::nullopt;
  return raw;
}

std::string EncodePathSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (unsigned char c : segment) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target, bool site_from_host,
                                                 const TargetLimits& limits) {
  if (target.size() > limits.max_bytes) return absl::OutOfRangeError("request target too long");
  const size_t query = target.find('?');
  std::string_view path = target.substr(0, query);
  if (path.empty() || path[0] != '/') return absl::InvalidArgumentError("not origin-form");
  for (unsigned char c : path) {
    if (!IsRawTargetChar(c)) return absl::InvalidArgumentError("invalid character in target");
  }
  std::vector<std::string> segments;
  auto split = SplitPath(path, limits.max_segments, &segments);
  if (!split.ok()) return split;

  RequestTarget out;
  size_t next = 0;
  // The last raw segment is empty for ".../" and names a directory form; "." and ".."
  // as the last segment name one too (RFC 3986 5.2.4 keeps the slash).
  const std::string_view last = path.substr(path.rfind('/') + 1);
  auto last_decoded = DecodeSegment(last);  // valid: SplitPath decoded it already
  out.trailing_slash = !last_decoded.ok() || last_decoded->empty() || *last_decoded == "." ||
                       *last_decoded == "..";
  if (!site_from_host) {
    if (segments.empty()) {
      out.gateway_root = true;
      return out;
    }
    auto key = ParseSiteKey(segments[0]);
    if (!key.has_value()) return absl::NotFoundError("not a site key");
    out.key = std::move(*key);
    out.key_text = segments[0];
    next = 1;
  }
  if (next < segments.size() && segments[next] == "$") {
    if (segments.size() < next + 3 || segments[next + 1] != "version") {
      return absl::NotFoundError("unknown '$' path");
    }
    out.version = ParseVersion(segments[next + 2]);
    if (!out.version.has_value()) return absl::NotFoundError("bad version number");
    next += 3;
  }
  auto joined = JoinResolved(segments, next);
  if (!joined.ok()) return joined.status();
  out.path = std::move(*joined);
  return out;
}

}  // namespace evermirror::gateway
