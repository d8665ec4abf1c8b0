#include "shared/config/docs.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evermirror::config {
namespace {

using ::testing::HasSubstr;

TEST(DocsTest, MarkdownHasOneRowPerOptionWithDefaultAndVariable) {
  std::string mode = "a";
  uint64_t cache = 64u << 20;
  std::string socket;
  Section section("gateway", "Serves sites over HTTP.");
  section.Choice("mode", &mode, {"a", "b"}, "Which mode | pipe escaped.")
      .Size("cache_size", &cache, "Memory for hot content.")
      .Address("admin_socket", &socket, "Optional socket at <dir>/x.sock.");
  const std::string md = GenerateMarkdown({&section});
  EXPECT_THAT(md, HasSubstr("# Configuration"));
  EXPECT_THAT(md, HasSubstr("Optional socket at &lt;dir&gt;/x.sock."));  // not an HTML tag
  EXPECT_THAT(md, HasSubstr("## `[gateway]`\n\nServes sites over HTTP."));
  EXPECT_THAT(md, HasSubstr("| `mode` | one of a\\|b | `a` | `EVERMIRROR_GATEWAY_MODE` | Which mode \\| pipe escaped. |"));
  EXPECT_THAT(md, HasSubstr("| `cache_size` | size | `64MiB` | `EVERMIRROR_GATEWAY_CACHE_SIZE` | Memory for hot content. |"));
  EXPECT_THAT(md, HasSubstr("| `admin_socket` | address | (empty) |"));
}

}  // namespace
}  // namespace evermirror::config
