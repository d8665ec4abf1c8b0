#include "services/gateway/mime_types.h"

#include <algorithm>
#include <array>
#include <string>

namespace evermirror::gateway {
namespace {

struct Entry {
  std::string_view ext;
  std::string_view type;
};

// Sorted by extension for binary search.
constexpr std::array<Entry, 44> kTypes = {{
    {"7z", "application/x-7z-compressed"},
    {"atom", "application/atom+xml"},
    {"avif", "image/avif"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/bmp"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"ico", "image/x-icon"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"m4a", "audio/mp4"},
    {"manifest", "application/manifest+json"},
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"rss", "application/rss+xml"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xml", "application/xml"},
}};

static_assert(std::is_sorted(kTypes.begin(), kTypes.end(),
                             [](const Entry& a, const Entry& b) { return a.ext < b.ext; }));

}  // namespace

std::string_view MimeTypeForPath(std::string_view path) {
  constexpr std::string_view kDefault = "application/octet-stream";
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size() || name.size() - dot > 16) {
    return kDefault;
  }
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  auto it = std::lower_bound(kTypes.begin(), kTypes.end(), ext,
                             [](const Entry& e, const std::string& x) { return e.ext < x; });
  if (it == kTypes.end() || it->ext != ext) return kDefault;
  return it->type;
}

}  // namespace evermirror::gateway
