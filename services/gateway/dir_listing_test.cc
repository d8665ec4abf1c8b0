#include "services/gateway/dir_listing.h"

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

std::vector<DirEntry> Entries() {
  return {DirEntry{"<script>alert(1)</script>.html", EntryStat{EntryType::kFile, 12, absl::UnixEpoch(), ""}},
          DirEntry{"javascript:x", EntryStat{EntryType::kFile, 1, absl::UnixEpoch(), ""}},
          DirEntry{"sub dir", EntryStat{EntryType::kDirectory, 0, absl::UnixEpoch(), ""}}};
}

TEST(DirListingTest, HtmlEscapesNamesAndEncodesLinks) {
  const std::string html = RenderHtmlListing({"/a&b/", 7, true, false}, Entries());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;.html"), std::string::npos);
  EXPECT_NE(html.find("href=\"./%3Cscript%3Ealert%281%29%3C%2Fscript%3E.html\""), std::string::npos);
  EXPECT_NE(html.find("href=\"./javascript%3Ax\""), std::string::npos);
  EXPECT_NE(html.find("href=\"./sub%20dir/\">sub dir/</a>"), std::string::npos);
  EXPECT_NE(html.find("<title>Index of /a&amp;b/</title>"), std::string::npos);
  EXPECT_NE(html.find("href=\"../\""), std::string::npos);
  EXPECT_NE(html.find("version 7"), std::string::npos);
}

TEST(DirListingTest, JsonListsEntriesWithTypesAndEscapes) {
  std::vector<DirEntry> entries = {
      DirEntry{"q\"\\\n\x01", EntryStat{EntryType::kFile, 5, absl::FromUnixSeconds(99), ""}},
      DirEntry{"d", EntryStat{EntryType::kDirectory, 0, absl::FromUnixSeconds(1), ""}}};
  EXPECT_EQ(RenderJsonListing({"/", 3, false, true}, entries),
            "{\"path\":\"/\",\"version\":3,\"truncated\":true,\"entries\":["
            "{\"name\":\"q\\\"\\\\\\u000a\\u0001\",\"type\":\"file\",\"size\":5,\"mtime\":99},"
            "{\"name\":\"d\",\"type\":\"directory\",\"size\":0,\"mtime\":1}]}\n");
}

TEST(DirListingTest, JsonReplacesInvalidUtf8) {
  EXPECT_EQ(JsonQuote("a\xff" "b\xc3\xa9"), "\"a\xef\xbf\xbd" "b\xc3\xa9\"");
  EXPECT_EQ(JsonQuote("\xc0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");  // overlong NUL
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
}

}  // namespace
}  // namespace evermirror::gateway
