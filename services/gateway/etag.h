// Entity tags for the gateway: strong ETags derived from a site key and a file's
// version-independent content id (so an unchanged file keeps its ETag across versions), and
// the If-None-Match / If-Range comparisons of RFC 9110 section 13.
#pragma once

#include <string>
#include <string_view>

namespace evermirror::gateway {

// A strong ETag, quoted: "\"<32 hex digits>\"", a BLAKE2b-256 prefix over the key and the
// content id. Equal inputs give equal tags; different content ids differ with overwhelming
// probability.
std::string MakeETag(std::string_view site_key, std::string_view content_id);

// True if the If-None-Match field value `header` matches `etag` (weak comparison, as RFC
// 9110 13.1.2 requires): "*", or a comma-separated list with a tag whose opaque part equals
// etag's, W/ prefixes ignored. A malformed list matches nothing it cannot parse.
bool IfNoneMatchMatches(std::string_view header, std::string_view etag);

// True if the If-Range field value `header` allows a partial response: a strong entity tag
// equal to `etag`, or an HTTP-date equal to `last_modified` (exact text match).
bool IfRangeMatches(std::string_view header, std::string_view etag, std::string_view last_modified);

}  // namespace evermirror::gateway
