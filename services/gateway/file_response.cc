#include "services/gateway/file_response.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/gateway/byte_range.h"
#include "services/gateway/etag.h"
#include "shared/base/strings.h"

namespace evermirror::gateway {
namespace {

std::string ContentRange(const ByteRange& range, uint64_t size) {
  return absl::StrCat("bytes ", range.first, "-", range.last, "/", size);
}

// multipart/byteranges (RFC 9110 14.6): each part has its own Content-Type and Content-Range.
void BuildMultipart(const FileMeta& meta, const RangeRequest& ranges, BodyPart::Source source,
                    HttpResponse* response) {
  // The boundary only needs to be absent from the parts' headers and unlikely in the data;
  // deriving it from the ETag keeps responses deterministic.
  const std::string boundary = absl::StrCat(
      "evermirror-", meta.etag.size() > 18 ? ToAbsl(meta.etag.substr(1, 16)) : "boundary");
  response->AddHeader("Content-Type", absl::StrCat("multipart/byteranges; boundary=", boundary));
  for (const ByteRange& range : ranges.ranges) {
    const uint64_t start = response->owned.size();
    absl::StrAppend(&response->owned, "\r\n--", boundary, "\r\nContent-Type: ",
                    ToAbsl(meta.content_type), "\r\nContent-Range: ",
                    ContentRange(range, meta.size), "\r\n\r\n");
    response->parts.push_back(
        {BodyPart::Source::kOwned, start, response->owned.size() - start});
    response->parts.push_back({source, range.first, range.size()});
  }
  const uint64_t start = response->owned.size();
  absl::StrAppend(&response->owned, "\r\n--", boundary, "--\r\n");
  response->parts.push_back({BodyPart::Source::kOwned, start, response->owned.size() - start});
}

}  // namespace

std::string HttpDate(absl::Time time) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", time, absl::UTCTimeZone());
}

void BuildFileResponse(const HttpRequest& request, const FileMeta& meta, BodyPart::Source source,
                       size_t max_ranges, HttpResponse* response) {
  response->AddHeader("ETag", std::string(meta.etag));
  response->AddHeader("Last-Modified", std::string(meta.last_modified));
  response->parts.clear();
  if (request.if_none_match.has_value() && IfNoneMatchMatches(*request.if_none_match, meta.etag)) {
    response->status = 304;
    return;
  }
  response->AddHeader("Accept-Ranges", "bytes");
  RangeRequest ranges;
  const bool is_get = request.method == "GET";
  if (is_get && request.range.has_value() &&
      (!request.if_range.has_value() ||
       IfRangeMatches(*request.if_range, meta.etag, meta.last_modified))) {
    ranges = ParseRange(*request.range, meta.size, max_ranges);
  }
  switch (ranges.kind) {
    case RangeRequest::Kind::kIgnore:
      response->status = 200;
      response->AddHeader("Content-Type", std::string(meta.content_type));
      response->parts.push_back({source, 0, meta.size});
      return;
    case RangeRequest::Kind::kUnsatisfiable:
      response->status = 416;
      response->AddHeader("Content-Range", absl::StrCat("bytes */", meta.size));
      return;
    case RangeRequest::Kind::kSatisfiable:
      response->status = 206;
      break;
  }
  if (ranges.ranges.size() == 1) {
    const ByteRange& range = ranges.ranges[0];
    response->AddHeader("Content-Type", std::string(meta.content_type));
    response->AddHeader("Content-Range", ContentRange(range, meta.size));
    response->parts.push_back({source, range.first, range.size()});
    return;
  }
  BuildMultipart(meta, ranges, source, response);
}

}  // namespace evermirror::gateway
