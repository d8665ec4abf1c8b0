// Directory listings for sites without an index.html: an HTML page (names escaped, links
// percent-encoded) or JSON (for `Accept: application/json`). Used by RequestHandler.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/gateway/site_source.h"

namespace evermirror::gateway {

struct ListingContext {
  std::string_view display_path;  // "/" or "/a/b/": the directory, shown and used as <title>
  uint64_t version = 0;           // the version listed
  bool has_parent = false;        // adds a "../" link
  bool truncated = false;         // entries were left out
};

// An HTML5 page listing `entries`; directories get a trailing '/'. Every name is
// HTML-escaped and its link percent-encoded, so no name can inject markup or a scheme.
std::string RenderHtmlListing(const ListingContext& context, const std::vector<DirEntry>& entries);

// {"path":..., "version":N, "truncated":bool, "entries":[{"name":..., "type":"file"|
// "directory", "size":N, "mtime":unix seconds}, ...]}; strings escaped per RFC 8259, bytes
// that are not valid UTF-8 replaced by U+FFFD.
std::string RenderJsonListing(const ListingContext& context, const std::vector<DirEntry>& entries);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

// A JSON string literal (with quotes) for `text`.
std::string JsonQuote(std::string_view text);

}  // namespace evermirror::gateway
