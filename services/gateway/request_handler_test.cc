#include "services/gateway/request_handler.h"

#include <memory>

#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "services/gateway/testing/mem_site_source.h"
#include "shared/base/hex.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::gateway {
namespace {

const std::string kKey(32, '\x11');
const std::string kHex = ToHex(kKey);

class RequestHandlerTest : public ::testing::Test {
 protected:
  RequestHandlerTest() {
    options_.rate_limit_per_second = 0;
    options_.gateway_domain = "mirror.test";
    source_.AddSite(kKey, "blog");
  }

  RequestHandler& handler() {
    if (handler_ == nullptr) {
      metrics_ = std::make_unique<GatewayMetrics>(std::make_shared<prometheus::Registry>(), false);
      handler_ = std::make_unique<RequestHandler>(options_, &source_, &clock_, metrics_.get());
    }
    return *handler_;
  }

  HttpResponse Get(const std::string& target, HttpRequest request = {}) {
    if (request.method.empty()) request.method = "GET";
    request.target = target;
    request.client = "127.0.0.1";
    return handler().Handle(request);
  }
  HttpResponse GetSite(const std::string& path, HttpRequest request = {}) {
    return Get("/" + kHex + path, request);
  }

  std::string Body(const HttpResponse& r) {
    std::string out;
    for (const BodyPart& part : r.parts) {
      if (part.source == BodyPart::Source::kOwned) out += r.owned.substr(part.offset, part.length);
      if (part.source == BodyPart::Source::kShared) out += std::string(r.shared->bytes.view().substr(part.offset, part.length));
      if (part.source == BodyPart::Source::kFile) {
        std::string chunk;
        EXPECT_TRUE(handler().ReadFilePart(r.file, part.offset, part.length, &chunk).ok());
        out += chunk;
      }
    }
    return out;
  }
  static std::string H(const HttpResponse& r, std::string_view name) {
    const std::string* v = r.FindHeader(name);
    return v == nullptr ? "<none>" : *v;
  }

  GatewayOptions options_;
  MemSiteSource source_;
  env::SimClock clock_;
  std::unique_ptr<GatewayMetrics> metrics_;
  std::unique_ptr<RequestHandler> handler_;
};

TEST_F(RequestHandlerTest, ServesFileWithRepresentationAndSiteHeaders) {
  source_.Publish(kKey, {{"css/site.css", "body{}"}});
  HttpResponse r = GetSite("/css/site.css");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), "body{}");
  EXPECT_EQ(H(r, "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(H(r, "Cache-Control"), "public, max-age=10");
  EXPECT_EQ(H(r, "X-Evermirror-Version"), "1");
  EXPECT_EQ(H(r, "X-Evermirror-Latest"), "1");
  EXPECT_EQ(H(r, "Accept-Ranges"), "bytes");
  EXPECT_EQ(H(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(H(r, "Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(H(r, "ETag").size(), 34u);
  EXPECT_EQ(r.site_alias, "blog");
}

TEST_F(RequestHandlerTest, ServesNewestCompleteVersionNeverAPartialOne) {
  source_.Publish(kKey, {{"a.txt", "old"}});
  source_.Publish(kKey, {{"a.txt", "new"}}, {}, /*complete=*/false);
  HttpResponse r = GetSite("/a.txt");
  EXPECT_EQ(Body(r), "old");
  EXPECT_EQ(H(r, "X-Evermirror-Version"), "1");
  EXPECT_EQ(H(r, "X-Evermirror-Latest"), "2");
  source_.SetServedVersion(kKey, 2);  // notifies: the cached old file must not be served
  r = GetSite("/a.txt");
  EXPECT_EQ(Body(r), "new");
  EXPECT_EQ(H(r, "X-Evermirror-Version"), "2");
}

TEST_F(RequestHandlerTest, VersionedUrlsServePastVersionsImmutably) {
  source_.Publish(kKey, {{"a.txt", "one"}});
  source_.Publish(kKey, {{"a.txt", "two"}});
  HttpResponse r = GetSite("/$/version/1/a.txt");
  EXPECT_EQ(Body(r), "one");
  EXPECT_EQ(H(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(H(r, "X-Evermirror-Version"), "1");
  EXPECT_EQ(GetSite("/$/version/3/a.txt").status, 404);
}

TEST_F(RequestHandlerTest, SiteWithoutCompleteVersionIs503WithRetryAfter) {
  source_.Publish(kKey, {{"a.txt", "x"}}, {}, /*complete=*/false);
  HttpResponse r = GetSite("/a.txt");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(H(r, "Retry-After"), "5");
  EXPECT_EQ(H(r, "X-Evermirror-Latest"), "1");
}

TEST_F(RequestHandlerTest, UndownloadedBlocksAre503AndBackendErrorsMapped) {
  source_.Publish(kKey, {{"a.txt", "x"}, {"b.txt", "y"}});
  source_.SetPathUnavailable(kKey, "a.txt", true);
  HttpResponse r = GetSite("/a.txt");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(H(r, "Retry-After"), "5");
  source_.SetFailure(absl::InternalError("disk on fire"));
  EXPECT_EQ(GetSite("/b.txt").status, 502);
  source_.SetFailure(absl::DeadlineExceededError("slow"));
  EXPECT_EQ(GetSite("/b.txt").status, 504);
}

TEST_F(RequestHandlerTest, DirectoriesServeIndexOrRedirectOrList) {
  source_.Publish(kKey, {{"index.html", "<h1>home</h1>"}, {"docs/a<b>.txt", "a"},
                         {"docs/sub/x", "x"}});
  HttpResponse home = GetSite("/");
  EXPECT_EQ(Body(home), "<h1>home</h1>");
  EXPECT_EQ(H(home, "Content-Type"), "text/html; charset=utf-8");
  HttpResponse bare = Get("/" + kHex);
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(H(bare, "Location"), "/" + kHex + "/");
  HttpResponse docs = GetSite("/docs");
  EXPECT_EQ(docs.status, 301);
  EXPECT_EQ(H(docs, "Location"), "/" + kHex + "/docs/");
  HttpResponse listing = GetSite("/docs/");
  EXPECT_EQ(listing.status, 200);
  EXPECT_NE(Body(listing).find("a&lt;b&gt;.txt"), std::string::npos);
  EXPECT_NE(Body(listing).find("href=\"./sub/\""), std::string::npos);
  EXPECT_EQ(H(listing, "Vary"), "Accept");
  HttpRequest json;
  json.accept = "application/json";
  HttpResponse listing_json = GetSite("/docs/", json);
  EXPECT_EQ(H(listing_json, "Content-Type"), "application/json");
  EXPECT_NE(Body(listing_json).find("{\"name\":\"sub\",\"type\":\"directory\""), std::string::npos);
}

TEST_F(RequestHandlerTest, RedirectIsBuiltFromParsedPathNotEchoed) {
  source_.Publish(kKey, {{"evil.com/x", "x"}});
  options_.host_aliases["blog.test"] = kHex;
  HttpRequest request;
  request.host = "blog.test";
  HttpResponse r = Get("//evil.com", request);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(H(r, "Location"), "/evil.com/");
}

TEST_F(RequestHandlerTest, MissingPathsUseTheSites404Page) {
  source_.Publish(kKey, {{"a.txt", "x"}});
  HttpResponse plain = GetSite("/nope");
  EXPECT_EQ(plain.status, 404);
  EXPECT_EQ(GetSite("/a.txt/").status, 404);  // a file is not a directory
  source_.Publish(kKey, {{"404.html", "<p>custom</p>"}});
  HttpResponse custom = GetSite("/nope");
  EXPECT_EQ(custom.status, 404);
  EXPECT_EQ(Body(custom), "<p>custom</p>");
  EXPECT_EQ(H(custom, "X-Evermirror-Version"), "2");
}

TEST_F(RequestHandlerTest, ETagSurvivesVersionsWhileContentIsUnchanged) {
  source_.Publish(kKey, {{"same.txt", "s"}, {"changed.txt", "1"}});
  const std::string same1 = H(GetSite("/same.txt"), "ETag");
  const std::string changed1 = H(GetSite("/changed.txt"), "ETag");
  source_.Publish(kKey, {{"changed.txt", "2"}});
  EXPECT_EQ(H(GetSite("/same.txt"), "ETag"), same1);
  EXPECT_NE(H(GetSite("/changed.txt"), "ETag"), changed1);
}

TEST_F(RequestHandlerTest, IfNoneMatchGives304WithoutBody) {
  source_.Publish(kKey, {{"a.txt", "abc"}});
  const std::string etag = H(GetSite("/a.txt"), "ETag");
  for (std::string header : {etag, "\"zz\", " + etag, std::string("*"), "W/" + etag}) {
    HttpRequest request;
    request.if_none_match = header;
    HttpResponse r = GetSite("/a.txt", request);
    EXPECT_EQ(r.status, 304) << header;
    EXPECT_EQ(r.ContentLength(), 0u);
    EXPECT_EQ(H(r, "ETag"), etag);
    EXPECT_EQ(H(r, "Cache-Control"), "public, max-age=10");
  }
  HttpRequest other;
  other.if_none_match = "\"zz\"";
  EXPECT_EQ(GetSite("/a.txt", other).status, 200);
}

TEST_F(RequestHandlerTest, RangesGive206MultipartOr416) {
  source_.Publish(kKey, {{"d.txt", "0123456789"}});
  HttpRequest one;
  one.range = "bytes=2-4";
  HttpResponse r = GetSite("/d.txt", one);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(Body(r), "234");
  EXPECT_EQ(H(r, "Content-Range"), "bytes 2-4/10");
  HttpRequest many;
  many.range = "bytes=0-1,-2";
  r = GetSite("/d.txt", many);
  EXPECT_EQ(r.status, 206);
  const std::string type = H(r, "Content-Type");
  ASSERT_EQ(type.rfind("multipart/byteranges; boundary=", 0), 0u);
  const std::string boundary = type.substr(type.find('=') + 1);
  EXPECT_EQ(Body(r), "\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Range: bytes 0-1/10\r\n\r\n01\r\n--" + boundary +
                     "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 8-9/10"
                     "\r\n\r\n89\r\n--" + boundary + "--\r\n");
  HttpRequest bad;
  bad.range = "bytes=10-";
  r = GetSite("/d.txt", bad);
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(H(r, "Content-Range"), "bytes */10");
  HttpRequest stale;
  stale.range = "bytes=0-0";
  stale.if_range = "\"old\"";
  EXPECT_EQ(GetSite("/d.txt", stale).status, 200);
}

TEST_F(RequestHandlerTest, HotSmallFileCostsNoBackendCall) {
  source_.Publish(kKey, {{"hot.txt", "hot"}});
  ASSERT_EQ(Body(GetSite("/hot.txt")), "hot");
  const uint64_t stats = source_.stat_calls(), reads = source_.read_calls(),
                 sites = source_.get_site_calls();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Body(GetSite("/hot.txt")), "hot");
  EXPECT_EQ(source_.stat_calls(), stats);
  EXPECT_EQ(source_.read_calls(), reads);
  EXPECT_EQ(source_.get_site_calls(), sites);
  EXPECT_EQ(handler().cache().Stats().hits, 5u);
}

TEST_F(RequestHandlerTest, RemovedSiteStopsBeingServedAtOnce) {
  source_.Publish(kKey, {{"a.txt", "x"}});
  ASSERT_EQ(GetSite("/a.txt").status, 200);
  source_.RemoveSite(kKey);
  EXPECT_EQ(GetSite("/a.txt").status, 404);
}

TEST_F(RequestHandlerTest, LargeFilesStreamAndHeadReadsNothing) {
  options_.cache_max_file_bytes = 4;
  const std::string big(1000, 'b');
  source_.Publish(kKey, {{"big.bin", big}});
  HttpResponse r = GetSite("/big.bin");
  EXPECT_TRUE(r.HasFileParts());
  EXPECT_EQ(r.ContentLength(), 1000u);
  EXPECT_EQ(Body(r), big);
  const uint64_t reads = source_.read_calls();
  HttpRequest head;
  head.method = "HEAD";
  r = GetSite("/big.bin", head);
  EXPECT_TRUE(r.head);
  EXPECT_EQ(r.ContentLength(), 1000u);
  EXPECT_EQ(source_.read_calls(), reads);
}

TEST_F(RequestHandlerTest, HostHeaderSelectsSites) {
  const std::string other(32, '\x22');
  source_.AddSite(other, "docs");
  source_.AddAlias("www.docs.org", other);
  source_.Publish(kKey, {{"who", "blog"}});
  source_.Publish(other, {{"who", "docs"}});
  options_.host_aliases["blog.example.org"] = kHex;
  auto with_host = [&](std::string host, std::string target) {
    HttpRequest request;
    request.host = host;
    return Get(target, request);
  };
  EXPECT_EQ(Body(with_host("blog.example.org", "/who")), "blog");
  EXPECT_EQ(Body(with_host("docs.mirror.test", "/who")), "docs");
  EXPECT_EQ(Body(with_host("www.docs.org:80", "/who")), "docs");
  EXPECT_EQ(Body(with_host(ToZBase32(other) + ".mirror.test", "/who")), "docs");
  EXPECT_EQ(with_host("nosuch.mirror.test", "/who").status, 404);
  EXPECT_EQ(Body(with_host("unknown.org", "/" + kHex + "/who")), "blog");
  EXPECT_EQ(Body(with_host("mirror.test", "/" + ToHex(other) + "/who")), "docs");
  EXPECT_EQ(with_host("bad host", "/").status, 400);
}

TEST_F(RequestHandlerTest, RejectsMethodsLimitsAndMalformedTargets) {
  source_.Publish(kKey, {{"a", "x"}});
  HttpRequest post;
  post.method = "POST";
  HttpResponse r = GetSite("/a", post);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(H(r, "Allow"), "GET, HEAD");
  HttpRequest brew;
  brew.method = "BREW";
  EXPECT_EQ(GetSite("/a", brew).status, 501);
  EXPECT_EQ(Get("/" + std::string(5000, 'a')).status, 414);
  HttpRequest big_head;
  big_head.head_bytes = 20000;
  EXPECT_EQ(GetSite("/a", big_head).status, 431);
  EXPECT_EQ(GetSite("/a%zz").status, 400);
  EXPECT_EQ(GetSite("/../x").status, 400);
  EXPECT_EQ(Get("/favicon.ico").status, 404);
  EXPECT_EQ(Get("/" + ToHex(std::string(32, '\x33')) + "/").status, 404);
  EXPECT_EQ(Get("/").status, 200);
}

TEST_F(RequestHandlerTest, RateLimitGives429WithRetryAfterAndRecovers) {
  options_.rate_limit_per_second = 1;
  options_.rate_limit_burst = 2;
  source_.Publish(kKey, {{"a", "x"}});
  EXPECT_EQ(GetSite("/a").status, 200);
  EXPECT_EQ(GetSite("/a").status, 200);
  HttpResponse r = GetSite("/a");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(H(r, "Retry-After"), "5");
  clock_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(GetSite("/a").status, 200);
}

}  // namespace
}  // namespace evermirror::gateway
