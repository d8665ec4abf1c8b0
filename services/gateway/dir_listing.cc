#include "services/gateway/dir_listing.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "services/gateway/request_target.h"
#include "shared/base/strings.h"

namespace evermirror::gateway {
namespace {

// Length of the valid UTF-8 sequence at the front of `s`, or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view s) {
  const auto c = static_cast<unsigned char>(s[0]);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  uint32_t cp = c & (0x7f >> n);
  for (size_t i = 1; i < n; ++i) {
    const auto cc = static_cast<unsigned char>(s[i]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    const char c = text[0];
    const size_t n = Utf8SequenceLength(text);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      text.remove_prefix(1);
      continue;
    }
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out.append(text.data(), n);
    }
    text.remove_prefix(n);
  }
  out.push_back('"');
  return out;
}

std::string RenderHtmlListing(const ListingContext& context, const std::vector<DirEntry>& entries) {
  const std::string title = HtmlEscape(context.display_path);
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ", title,
      "</title></head>\n<body><h1>Index of ", title, "</h1>\n<ul>\n");
  if (context.has_parent) out += "<li><a href=\"../\">../</a></li>\n";
  for (const DirEntry& entry : entries) {
    const bool dir = entry.stat.type == EntryType::kDirectory;
    const std::string slash = dir ? "/" : "";
    // "./" keeps a name such as "javascript:x" from being read as a URL scheme.
    absl::StrAppend(&out, "<li><a href=\"./", HtmlEscape(EncodePathSegment(entry.name)), slash,
                    "\">", HtmlEscape(entry.name), slash, "</a>");
    if (!dir) absl::StrAppend(&out, " ", entry.stat.size, " bytes");
    out += "</li>\n";
  }
  out += "</ul>\n";
  if (context.truncated) out += "<p>(listing truncated)</p>\n";
  absl::StrAppend(&out, "<p>version ", context.version, "</p>\n</body></html>\n");
  return out;
}

std::string RenderJsonListing(const ListingContext& context, const std::vector<DirEntry>& entries) {
  std::string out = absl::StrCat("{\"path\":", JsonQuote(context.display_path),
                                 ",\"version\":", context.version,
                                 ",\"truncated\":", context.truncated ? "true" : "false",
                                 ",\"entries\":[");
  bool first = true;
  for (const DirEntry& entry : entries) {
    if (!first) out.push_back(',');
    first = false;
    const bool dir = entry.stat.type == EntryType::kDirectory;
    absl::StrAppend(&out, "{\"name\":", JsonQuote(entry.name), ",\"type\":\"",
                    dir ? "directory" : "file", "\",\"size\":", entry.stat.size,
                    ",\"mtime\":", absl::ToUnixSeconds(entry.stat.mtime), "}");
  }
  out += "]}\n";
  return out;
}

}  // namespace evermirror::gateway
