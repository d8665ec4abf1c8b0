// A site written by npm hyperdrive 9.14.2, mirrored into a real evermirror-replicator from the
// reference seeder over loopback TCP and served by a real evermirror-gateway, fetched with curl:
// every file byte-identical at the latest and at the past version, the deleted file 404 at the
// latest only; then the gateway's HTTP behaviour (ranges, 304, HEAD, listings, index.html, the
// site's 404.html, the Host alias, 405/414/431, version headers). Inside netns_run.sh.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "tests/gateway_e2e/mirrored_site.h"

namespace evermirror::testing {
namespace {

class GatewayE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<MirroredSite>> started = MirroredSite::Start();
    if (started.ok()) {
      site_ = started->release();
    } else {
      start_error_ = new std::string(started.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    if (site_ != nullptr) {
      absl::Status stopped = site_->StopGateway();  // a clean SIGTERM stop, exit 0
      EXPECT_TRUE(stopped.ok()) << stopped;
    }
    delete site_;
    site_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(site_, nullptr) << *start_error_; }
  void TearDown() override {
    if (HasFailure() && site_ != nullptr) std::fprintf(stderr, "%s", site_->Logs().c_str());
  }

  CurlResponse Get(const std::string& url, const std::vector<std::string>& args = {}) {
    return Curl(site_->dir(), args, url);
  }
  const std::string& Blob() const { return site_->FilesAt(site_->latest_version()).at("/data/blob.bin"); }
  const std::string& LatestFile(const std::string& path) const {
    return site_->FilesAt(site_->latest_version()).at(path);
  }

  static MirroredSite* site_;
  static std::string* start_error_;
};

MirroredSite* GatewayE2eTest::site_ = nullptr;
std::string* GatewayE2eTest::start_error_ = nullptr;

TEST_F(GatewayE2eTest, ServesEveryFileByteIdenticalAtTheLatestVersion) {
  const uint64_t latest = site_->latest_version();
  for (const auto& [path, bytes] : site_->FilesAt(latest)) {
    CurlResponse r = Get(site_->SiteUrl(path));
    ASSERT_EQ(r.status, 200) << path << " " << r.error;
    EXPECT_TRUE(r.body == bytes) << path << ": " << r.body.size() << " bytes served, " << bytes.size() << " written";
    EXPECT_EQ(r.Header("content-length"), absl::StrCat(bytes.size())) << path;
    EXPECT_EQ(r.Header("x-evermirror-version"), absl::StrCat(latest)) << path;
    EXPECT_EQ(r.Header("x-evermirror-latest"), absl::StrCat(latest)) << path;
  }
}

TEST_F(GatewayE2eTest, ServesEveryFileByteIdenticalAtThePastVersion) {
  const uint64_t past = site_->past_version();
  for (const auto& [path, bytes] : site_->FilesAt(past)) {
    CurlResponse r = Get(site_->VersionUrl(past, path));
    ASSERT_EQ(r.status, 200) << path << " " << r.error;
    EXPECT_TRUE(r.body == bytes) << path << ": " << r.body.size() << " bytes served, " << bytes.size() << " written";
    EXPECT_EQ(r.Header("x-evermirror-version"), absl::StrCat(past)) << path;
    EXPECT_EQ(r.Header("x-evermirror-latest"), absl::StrCat(site_->latest_version())) << path;
    EXPECT_TRUE(absl::StrContains(r.Header("cache-control"), "immutable")) << path;
  }
}

TEST_F(GatewayE2eTest, OverwrittenAndDeletedFilesDifferBetweenVersions) {
  const uint64_t past = site_->past_version();
  CurlResponse old_news = Get(site_->VersionUrl(past, "/news.html"));
  CurlResponse news = Get(site_->SiteUrl("/news.html"));
  EXPECT_TRUE(absl::StrContains(old_news.body, "Edition 1")) << old_news.body;
  EXPECT_TRUE(absl::StrContains(news.body, "Edition 2")) << news.body;
  EXPECT_NE(old_news.Header("etag"), news.Header("etag"));

  CurlResponse gone = Get(site_->SiteUrl("/old.html"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body, LatestFile("/404.html"));  // the site's own 404 page
  // A site's own 404 is cached like its pages (it can only change with a new version).
  EXPECT_TRUE(absl::StartsWith(gone.Header("cache-control"), "public, max-age=")) << gone.Header("cache-control");
  CurlResponse kept = Get(site_->VersionUrl(past, "/old.html"));
  EXPECT_EQ(kept.status, 200);
  EXPECT_EQ(kept.body, site_->FilesAt(past).at("/old.html"));
  // The version after the overwrite still had old.html; the first held index.html alone.
  EXPECT_EQ(Get(site_->VersionUrl(past + 1, "/old.html")).status, 200);
  EXPECT_EQ(Get(site_->VersionUrl(1, "/index.html")).status, 200);
  EXPECT_EQ(Get(site_->VersionUrl(1, "/style.css")).status, 404);
  EXPECT_EQ(Get(site_->VersionUrl(site_->latest_version() + 1, "/index.html")).status, 404);
}

TEST_F(GatewayE2eTest, ContentTypesAndEmptyFile) {
  EXPECT_TRUE(absl::StartsWith(Get(site_->SiteUrl("/index.html")).Header("content-type"), "text/html"));
  EXPECT_TRUE(absl::StartsWith(Get(site_->SiteUrl("/style.css")).Header("content-type"), "text/css"));
  EXPECT_EQ(Get(site_->SiteUrl("/img/logo.png")).Header("content-type"), "image/png");
  EXPECT_EQ(Get(site_->SiteUrl("/data/blob.bin"), {"-I"}).Header("content-type"), "application/octet-stream");
  CurlResponse empty = Get(site_->SiteUrl("/data/empty.txt"));
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.Header("content-length"), "0");
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(empty.Header("x-content-type-options"), "nosniff");
}

TEST_F(GatewayE2eTest, SingleRangesAcrossContentBlocks) {
  const std::string length = absl::StrCat(Blob().size());
  struct Case {
    std::string range, content_range;
    size_t offset, size;
  };
  const std::vector<Case> cases = {
      {"bytes=100-199", "bytes 100-199/" + length, 100, 100},
      {"bytes=65000-140000", "bytes 65000-140000/" + length, 65000, 75001},  // three 64 KiB blocks
      {"bytes=-10", absl::StrCat("bytes ", Blob().size() - 10, "-", Blob().size() - 1, "/", length),
       Blob().size() - 10, 10},
      {"bytes=5242870-", "bytes 5242870-5242879/" + length, 5242870, 10},
  };
  for (const Case& c : cases) {
    CurlResponse r = Get(site_->SiteUrl("/data/blob.bin"), {"-H", "Range: " + c.range});
    EXPECT_EQ(r.status, 206) << c.range;
    EXPECT_EQ(r.Header("content-range"), c.content_range) << c.range;
    EXPECT_TRUE(r.body == Blob().substr(c.offset, c.size)) << c.range;
  }
}

// The parts of a multipart/byteranges body: Content-Range -> data.
std::vector<std::pair<std::string, std::string>> Parts(const std::string& body, const std::string& boundary) {
  std::vector<std::pair<std::string, std::string>> parts;
  const std::string delimiter = "--" + boundary;
  size_t pos = body.find(delimiter);
  while (pos != std::string::npos && body.compare(pos + delimiter.size(), 2, "--") != 0) {
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) break;
    std::string range;
    for (absl::string_view line : absl::StrSplit(body.substr(pos, head_end - pos), "\r\n")) {
      if (absl::StartsWithIgnoreCase(line, "content-range: ")) range = std::string(line.substr(15));
    }
    uint64_t first = 0, last = 0;
    std::vector<std::string> bounds = absl::StrSplit(absl::StripPrefix(range, "bytes "), absl::ByAnyChar("-/"));
    if (bounds.size() != 3 || !absl::SimpleAtoi(bounds[0], &first) || !absl::SimpleAtoi(bounds[1], &last)) break;
    parts.emplace_back(range, body.substr(head_end + 4, last - first + 1));
    pos = body.find(delimiter, head_end + 4 + (last - first + 1));
  }
  return parts;
}

TEST_F(GatewayE2eTest, MultipleRangesGetMultipartByteranges) {
  CurlResponse r = Get(site_->SiteUrl("/data/blob.bin"), {"-H", "Range: bytes=0-9,65530-65545,-5"});
  ASSERT_EQ(r.status, 206) << r.error;
  const std::string type = r.Header("content-type");
  ASSERT_TRUE(absl::StartsWith(type, "multipart/byteranges; boundary=")) << type;
  const std::string boundary = type.substr(type.find('=') + 1);
  EXPECT_EQ(r.Header("content-length"), absl::StrCat(r.body.size()));
  const auto parts = Parts(r.body, boundary);
  ASSERT_EQ(parts.size(), 3u) << r.body.substr(0, 400);
  const std::string length = absl::StrCat("/", Blob().size());
  EXPECT_EQ(parts[0].first, "bytes 0-9" + length);
  EXPECT_TRUE(parts[0].second == Blob().substr(0, 10));
  EXPECT_EQ(parts[1].first, "bytes 65530-65545" + length);
  EXPECT_TRUE(parts[1].second == Blob().substr(65530, 16));
  EXPECT_EQ(parts[2].first, absl::StrCat("bytes ", Blob().size() - 5, "-", Blob().size() - 1, length));
  EXPECT_TRUE(parts[2].second == Blob().substr(Blob().size() - 5));
  EXPECT_TRUE(absl::StrContains(r.body, "--" + boundary + "--"));
}

TEST_F(GatewayE2eTest, UnsatisfiableRangeIs416) {
  CurlResponse r = Get(site_->SiteUrl("/data/blob.bin"), {"-H", "Range: bytes=6000000-6000010"});
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.Header("content-range"), absl::StrCat("bytes */", Blob().size()));
  // A range on the empty file cannot be satisfied either.
  EXPECT_EQ(Get(site_->SiteUrl("/data/empty.txt"), {"-H", "Range: bytes=0-0"}).status, 416);
}

TEST_F(GatewayE2eTest, IfNoneMatchGets304WithTheETag) {
  CurlResponse first = Get(site_->SiteUrl("/style.css"));
  const std::string etag = first.Header("etag");
  ASSERT_TRUE(absl::StartsWith(etag, "\"")) << etag;  // strong
  CurlResponse again = Get(site_->SiteUrl("/style.css"), {"-H", "If-None-Match: " + etag});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.Header("etag"), etag);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(Get(site_->SiteUrl("/style.css"), {"-H", "If-None-Match: \"other\", W/" + etag}).status, 304);
  EXPECT_EQ(Get(site_->SiteUrl("/style.css"), {"-H", "If-None-Match: \"other\""}).status, 200);
  // Unchanged across versions, so the past version's URL has the same tag.
  EXPECT_EQ(Get(site_->VersionUrl(site_->past_version(), "/style.css")).Header("etag"), etag);
}

TEST_F(GatewayE2eTest, HeadSendsTheHeadersAndNoBody) {
  CurlResponse get = Get(site_->SiteUrl("/data/blob.bin"));
  CurlResponse head = Get(site_->SiteUrl("/data/blob.bin"), {"-I"});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body.find("\r\n\r\n"), head.body.size() - 4);  // -I writes the head only
  for (const char* name : {"content-length", "content-type", "etag", "cache-control", "x-evermirror-version",
                           "x-evermirror-latest", "accept-ranges"}) {
    EXPECT_EQ(head.Header(name), get.Header(name)) << name;
  }
  EXPECT_EQ(head.Header("content-length"), "5242880");
}

TEST_F(GatewayE2eTest, DirectoriesServeIndexHtmlOrAListing) {
  EXPECT_EQ(Get(site_->SiteUrl("/")).body, LatestFile("/index.html"));
  EXPECT_EQ(Get(site_->SiteUrl("/docs/")).body, LatestFile("/docs/index.html"));
  CurlResponse bare = Get(site_->SiteUrl("/docs"));
  EXPECT_EQ(bare.status, 301);
  EXPECT_TRUE(absl::EndsWith(bare.Header("location"), "/docs/")) << bare.Header("location");

  CurlResponse html = Get(site_->SiteUrl("/docs/guide/"));
  EXPECT_EQ(html.status, 200);
  EXPECT_TRUE(absl::StartsWith(html.Header("content-type"), "text/html"));
  EXPECT_TRUE(absl::StrContains(html.body, "<a href=\"./intro.md\">intro.md</a>")) << html.body;
  EXPECT_TRUE(absl::StrContains(html.body, "<a href=\"./deep/\">deep/</a>")) << html.body;

  CurlResponse json = Get(site_->SiteUrl("/docs/guide/"), {"-H", "Accept: application/json"});
  EXPECT_EQ(json.status, 200);
  EXPECT_TRUE(absl::StartsWith(json.Header("content-type"), "application/json"));
  // Checked by a real JSON parser: node's.
  absl::StatusOr<ChildProcess> node = ChildProcess::Start(
      {"node", "-e",
       "const j = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
       "console.log(j.path, j.version, j.entries.map((e) => `${e.name}:${e.type}:${e.size}`).join(','))"});
  ASSERT_TRUE(node.ok());
  ASSERT_TRUE(node->WriteLine(json.body).ok());
  node->CloseStdin();
  EXPECT_EQ(node->Wait(absl::Seconds(20)), 0);
  const std::string intro = absl::StrCat("intro.md:file:", LatestFile("/docs/guide/intro.md").size());
  EXPECT_EQ(node->output(), absl::StrCat("/docs/guide/ ", site_->latest_version(), " deep:directory:0,", intro, "\n"))
      << json.body;
}

TEST_F(GatewayE2eTest, MissingPathsGetTheSitesOwn404Page) {
  CurlResponse r = Get(site_->SiteUrl("/no/such/page.html"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, LatestFile("/404.html"));
  EXPECT_TRUE(absl::StartsWith(r.Header("content-type"), "text/html"));
}

TEST_F(GatewayE2eTest, ServesTheSiteByItsConfiguredHostAlias) {
  const std::string host = absl::StrCat("Host: ", MirroredSite::kHostAlias);
  CurlResponse r = Get(site_->HttpBase() + "/style.css", {"-H", host});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, LatestFile("/style.css"));
  EXPECT_EQ(r.Header("x-evermirror-version"), absl::StrCat(site_->latest_version()));
  EXPECT_EQ(Get(site_->HttpBase() + "/", {"-H", host}).body, LatestFile("/index.html"));
  EXPECT_EQ(Get(site_->HttpBase() + "/$/version/" + std::to_string(site_->past_version()) + "/old.html", {"-H", host})
                .status,
            200);
  EXPECT_EQ(Get(site_->HttpBase() + "/style.css", {"-H", "Host: unknown.example.org"}).status, 404);
  // <z-base-32 key>.<gateway domain> names the site too.
  const std::string key_host = absl::StrCat(ToZBase32(FromHex(site_->key_hex()).value()), ".", MirroredSite::kDomain);
  CurlResponse by_key_host = Get(site_->HttpBase() + "/style.css", {"-H", "Host: " + key_host});
  EXPECT_EQ(by_key_host.status, 200) << key_host;
  EXPECT_EQ(by_key_host.body, LatestFile("/style.css"));
}

TEST_F(GatewayE2eTest, RefusesOtherMethodsAndOversizedRequests) {
  CurlResponse post = Get(site_->SiteUrl("/index.html"), {"-X", "POST", "--data", "x=1"});
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(absl::StrContains(post.Header("allow"), "GET")) << post.Header("allow");
  EXPECT_EQ(Get(site_->SiteUrl("/index.html"), {"-X", "DELETE"}).status, 405);
  EXPECT_EQ(Get(site_->SiteUrl("/" + std::string(5000, 'a'))).status, 414);
  EXPECT_EQ(Get(site_->SiteUrl("/index.html"), {"-H", "X-Big: " + std::string(10000, 'b')}).status, 431);
  // The gateway still serves after refusing them.
  EXPECT_EQ(Get(site_->SiteUrl("/index.html")).status, 200);
}

TEST_F(GatewayE2eTest, UnversionedResponsesAreShortLivedInCaches) {
  CurlResponse r = Get(site_->SiteUrl("/index.html"));
  EXPECT_TRUE(absl::StartsWith(r.Header("cache-control"), "public, max-age=")) << r.Header("cache-control");
  EXPECT_FALSE(absl::StrContains(r.Header("cache-control"), "immutable"));
}

}  // namespace
}  // namespace evermirror::testing
