#include "services/gateway/file_response.h"

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

FileMeta Meta() { return FileMeta{100, "\"0123456789abcdef0123\"", "text/plain", "date"}; }

TEST(FileResponseTest, PlainGetIsWholeFile) {
  HttpRequest request;
  request.method = "GET";
  HttpResponse r;
  BuildFileResponse(request, Meta(), BodyPart::Source::kFile, 16, &r);
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].length, 100u);
  EXPECT_EQ(*r.FindHeader("Content-Type"), "text/plain");
}

TEST(FileResponseTest, HeadIgnoresRange) {
  HttpRequest request;
  request.method = "HEAD";
  request.range = "bytes=0-1";
  HttpResponse r;
  BuildFileResponse(request, Meta(), BodyPart::Source::kFile, 16, &r);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.ContentLength(), 100u);
}

TEST(FileResponseTest, MultipartPartsAlternateHeadersAndFileRanges) {
  HttpRequest request;
  request.method = "GET";
  request.range = "bytes=0-9,50-59,90-";
  HttpResponse r;
  BuildFileResponse(request, Meta(), BodyPart::Source::kFile, 16, &r);
  EXPECT_EQ(r.status, 206);
  ASSERT_EQ(r.parts.size(), 7u);
  EXPECT_EQ(r.parts[1].source, BodyPart::Source::kFile);
  EXPECT_EQ(r.parts[3].offset, 50u);
  EXPECT_EQ(r.parts[5].length, 10u);
  EXPECT_EQ(*r.FindHeader("Content-Type"),
            "multipart/byteranges; boundary=evermirror-0123456789abcdef");
  EXPECT_EQ(r.FindHeader("Content-Range"), nullptr);
}

TEST(FileResponseTest, IfRangeDateMatchAllowsRange) {
  HttpRequest request;
  request.method = "GET";
  request.range = "bytes=0-1";
  request.if_range = "date";
  HttpResponse r;
  BuildFileResponse(request, Meta(), BodyPart::Source::kFile, 16, &r);
  EXPECT_EQ(r.status, 206);
}

TEST(FileResponseTest, HttpDateIsImfFixdate) {
  EXPECT_EQ(HttpDate(absl::FromUnixSeconds(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace evermirror::gateway
