// Parsing of a request target into (site key, optional version, site path): the gateway's
// URL scheme "/<key>/<path>" and "/<key>/$/version/N/<path>", or "/<path>" when the Host
// header already named the site. Pure functions; fuzzed by request_target_fuzzer.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace evermirror::gateway {

struct RequestTarget {
  // Raw 32-byte key from the path; empty when the site came from the Host header, or when
  // `gateway_root` is set.
  std::string key;
  // The key as written in the path (hex or z-base-32), for building redirects.
  std::string key_text;
  // Set for "/$/version/N/..." URLs.
  std::optional<uint64_t> version;
  // Normalised, percent-decoded path inside the site: segments joined by '/', no leading
  // or trailing '/', no "." or ".." segments. "" is the site root.
  std::string path;
  // The target named a directory form: it ended in '/' or named the site (or version) root
  // with a trailing '/'. Directories without it are redirected.
  bool trailing_slash = false;
  // True for "/" itself when the Host header named no site: the gateway's own page.
  bool gateway_root = false;
};

struct TargetLimits {
  size_t max_bytes = 4096;    // longer targets: OutOfRange
  size_t max_segments = 256;  // more path segments: InvalidArgument
};

// Parses `target` (origin-form: starts with '/'; a "?query" is ignored). `site_from_host`
// says whether the Host header already chose the site, so no key comes first.
// Errors: OutOfRange (too long: 414), InvalidArgument (malformed: bad percent-escape, NUL,
// an encoded '/', control characters, ".." above the site root, not origin-form: 400),
// NotFound (the first segment is not a key, or "$" is followed by anything but
// "version/N": 404).
absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target, bool site_from_host,
                                                 const TargetLimits& limits = {});

// A site key as typed in a URL or host name: 64 hex digits or 52 z-base-32 characters.
// Returns the raw 32 bytes, or nullopt.
std::optional<std::string> ParseSiteKey(std::string_view text);

// Percent-encodes a path segment for use in a URL (everything but RFC 3986 unreserved).
std::string EncodePathSegment(std::string_view segment);

}  // namespace evermirror::gateway
