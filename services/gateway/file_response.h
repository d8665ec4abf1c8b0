// Building the response for one file of a site: conditional requests (If-None-Match -> 304),
// Range requests (206, multipart/byteranges, 416) with If-Range, and the representation
// headers. Used by RequestHandler; pure, so tested without a server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/gateway/http_types.h"

namespace evermirror::gateway {

struct FileMeta {
  uint64_t size = 0;
  std::string_view etag;           // quoted strong ETag
  std::string_view content_type;
  std::string_view last_modified;  // IMF-fixdate
};

// Sets response->status, representation headers (ETag, Last-Modified, Content-Type or the
// multipart type, Accept-Ranges, Content-Range) and body parts. The file's bytes come from
// `source`: kShared (response->shared holds the whole file) or kFile (read while sending).
// The caller adds Cache-Control and site headers.
void BuildFileResponse(const HttpRequest& request, const FileMeta& meta, BodyPart::Source source,
                       size_t max_ranges, HttpResponse* response);

// The IMF-fixdate form of `time` ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string HttpDate(absl::Time time);

}  // namespace evermirror::gateway
