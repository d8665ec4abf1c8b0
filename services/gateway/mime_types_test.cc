#include "services/gateway/mime_types.h"

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

TEST(MimeTypesTest, KnownExtensionsCaseInsensitive) {
  EXPECT_EQ(MimeTypeForPath("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(MimeTypeForPath("a/b/STYLE.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(MimeTypeForPath("x.png"), "image/png");
  EXPECT_EQ(MimeTypeForPath("app.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(MimeTypeForPath("f.woff2"), "font/woff2");
  EXPECT_EQ(MimeTypeForPath("dat.json"), "application/json");
}

TEST(MimeTypesTest, UnknownOrMissingExtensionIsOctetStream) {
  EXPECT_EQ(MimeTypeForPath("README"), "application/octet-stream");
  EXPECT_EQ(MimeTypeForPath("a.unknownext"), "application/octet-stream");
  EXPECT_EQ(MimeTypeForPath("dir.html/file"), "application/octet-stream");
  EXPECT_EQ(MimeTypeForPath("trailing."), "application/octet-stream");
  EXPECT_EQ(MimeTypeForPath(""), "application/octet-stream");
}

}  // namespace
}  // namespace evermirror::gateway
