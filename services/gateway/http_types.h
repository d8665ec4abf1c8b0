// The HTTP request and response as RequestHandler sees them: plain structs with no HTTP
// library types, so the request logic is tested without sockets and HttpServer only
// translates. A response body is a list of parts: owned bytes, bytes shared with the content
// cache (sent without copying), or ranges of a file read from the site source while sending.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/gateway/content_cache.h"

namespace evermirror::gateway {

// Views into the HTTP library's buffers; valid during RequestHandler::Handle only.
struct HttpRequest {
  std::string_view method;
  std::string_view target;  // the request target's path as received (still percent-encoded)
  size_t target_bytes = 0;  // length of the whole target with its query; 0: target.size()
  std::optional<std::string_view> host;  // the Host field, if present
  std::optional<std::string_view> range;
  std::optional<std::string_view> if_none_match;
  std::optional<std::string_view> if_range;
  std::optional<std::string_view> accept;
  std::string_view client;  // the client's address, for rate limiting
  size_t head_bytes = 0;    // request line plus header fields, approximately
};

struct BodyPart {
  enum class Source {
    kOwned,   // HttpResponse::owned[offset, offset + length)
    kShared,  // HttpResponse::shared->bytes[offset, offset + length)
    kFile,    // the file HttpResponse::file names, read through the site source
  };
  Source source = Source::kOwned;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// A file of a site at one version, for kFile parts.
struct FileRef {
  std::string key;
  uint64_t version = 0;
  std::string path;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string owned;
  std::shared_ptr<const CachedFile> shared;
  std::vector<BodyPart> parts;
  FileRef file;
  // HEAD: the headers (Content-Length included) describe the GET body, but none is sent.
  bool head = false;
  // Close the connection after this response (e.g. after refusing a request with a body).
  bool close = false;
  std::string site_alias;  // for metrics labels; "" when no site
  // A plain 200 of the whole cached file `shared`: the variant of its prepared response
  // (CachedFile::Prepared) this response may be replaced by, or -1. When `prepared` is set
  // it is that response and `headers` are left empty.
  int prepared_variant = -1;
  std::shared_ptr<void> prepared;

  uint64_t ContentLength() const {
    uint64_t n = 0;
    for (const BodyPart& part : parts) n += part.length;
    return n;
  }
  bool HasFileParts() const {
    for (const BodyPart& part : parts) {
      if (part.source == BodyPart::Source::kFile) return true;
    }
    return false;
  }
  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  const std::string* FindHeader(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return &v;
    }
    return nullptr;
  }
  // Sets an owned body.
  void SetBody(std::string body) {
    owned = std::move(body);
    parts = {BodyPart{BodyPart::Source::kOwned, 0, owned.size()}};
  }
};

}  // namespace evermirror::gateway
