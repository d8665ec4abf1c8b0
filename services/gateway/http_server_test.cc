// Real HTTP over loopback sockets against HttpServer: exact status codes and headers for
// good, malformed, oversized, slow and pipelined requests, and the connection limits.
#include "services/gateway/http_server.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "services/gateway/testing/mem_site_source.h"
#include "services/gateway/testing/raw_http_client.h"
#include "shared/base/hex.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/env/testing/sim_scheduler.h"

namespace evermirror::gateway {
namespace {

const std::string kKey(32, '\x42');
const std::string kHex = ToHex(kKey);

std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + i % 23);
  return out;
}

std::string Get(const std::string& path, const std::string& extra = "") {
  return "GET /" + kHex + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    options_.port = 0;
    options_.rate_limit_per_second = 0;
    source_.AddSite(kKey, "site");
    source_.Publish(kKey, {{"index.html", "<h1>hi</h1>"},
                           {"a.txt", "0123456789"},
                           {"big.bin", Pattern(300000)}});
  }
  ~HttpServerTest() override {
    if (server_ != nullptr) server_->Stop();
  }

  void Start() {
    ASSERT_TRUE(options_.Validate().ok()) << options_.Validate();
    metrics_ = std::make_unique<GatewayMetrics>(registry_, false);
    handler_ = std::make_unique<RequestHandler>(options_, &source_, &clock_, metrics_.get());
    server_ = std::make_unique<HttpServer>(options_, handler_.get(), metrics_.get(), &clock_, nullptr);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  // One request on a fresh connection.
  std::optional<RawResponse> Exchange(const std::string& request, bool head = false) {
    RawHttpClient client(server_->port());
    if (!client.Send(request)) return std::nullopt;
    return client.Read(head);
  }

  double Metric(const std::string& series) {
    const std::string text = prometheus::TextSerializer().Serialize(registry_->Collect());
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }

  GatewayOptions options_;
  MemSiteSource source_;
  env::SimClock clock_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<GatewayMetrics> metrics_;
  std::unique_ptr<RequestHandler> handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesFilesWithKeepAliveOnOneConnection) {
  Start();
  RawHttpClient client(server_->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.Send(Get("/a.txt")));
    auto r = client.Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->status_line, "HTTP/1.1 200 OK");
    EXPECT_EQ(r->body, "0123456789");
    EXPECT_EQ(r->Header("content-length"), "10");
    EXPECT_EQ(r->Header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r->Header("x-evermirror-version"), "1");
    EXPECT_EQ(r->Header("x-evermirror-latest"), "1");
    EXPECT_EQ(r->Header("cache-control"), "public, max-age=10");
    EXPECT_FALSE(r->Has("connection")) << r->Header("connection");
  }
  EXPECT_EQ(server_->connections().open_connections(), 1u);
  EXPECT_EQ(Metric("evermirror_gateway_requests_total{code_class=\"2xx\"}"), 3);
  EXPECT_EQ(Metric("evermirror_gateway_cache_hits_total"), 2);
}

TEST_F(HttpServerTest, PreparedResponsesKeepPerVariantCacheControl) {
  Start();
  RawHttpClient client(server_->port());
  const std::string versioned = "GET /" + kHex + "/$/version/1/a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 2; ++i) {  // the second round is served from prepared responses
    ASSERT_TRUE(client.Send(Get("/a.txt") + versioned));
    auto latest = client.Read();
    auto pinned = client.Read();
    ASSERT_TRUE(latest && pinned);
    EXPECT_EQ(latest->Header("cache-control"), "public, max-age=10");
    EXPECT_EQ(pinned->Header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(latest->body, "0123456789");
    EXPECT_EQ(pinned->body, "0123456789");
    EXPECT_EQ(latest->Header("etag"), pinned->Header("etag"));
  }
  ASSERT_TRUE(client.Send("HEAD /" + kHex + "/a.txt HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/a.txt")));
  auto head = client.Read(/*head_only=*/true);
  auto get = client.Read();
  ASSERT_TRUE(head && get);
  EXPECT_EQ(head->Header("content-length"), "10");
  EXPECT_EQ(get->body, "0123456789");
  source_.Publish(kKey, {{"a.txt", "fresh"}});  // invalidates the entry and its prepared responses
  ASSERT_TRUE(client.Send(Get("/a.txt")));
  auto fresh = client.Read();
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->body, "fresh");
  EXPECT_EQ(fresh->Header("x-evermirror-latest"), "2");
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  Start();
  RawHttpClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/a.txt", "Range: bytes=0-1\r\n") + Get("/") + Get("/missing") +
                          "HEAD /" + kHex + "/a.txt HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/a.txt")));
  auto r1 = client.Read();
  auto r2 = client.Read();
  auto r3 = client.Read();
  auto r4 = client.Read(/*head_only=*/true);
  auto r5 = client.Read();
  ASSERT_TRUE(r1 && r2 && r3 && r4 && r5);
  EXPECT_EQ(r1->status, 206);
  EXPECT_EQ(r1->body, "01");
  EXPECT_EQ(r2->body, "<h1>hi</h1>");
  EXPECT_EQ(r3->status, 404);
  EXPECT_EQ(r4->status, 200);
  EXPECT_EQ(r4->Header("content-length"), "10");
  EXPECT_EQ(r5->body, "0123456789");
}

TEST_F(HttpServerTest, ConditionalAndRangeRequestsOverTheWire) {
  Start();
  auto first = Exchange(Get("/a.txt"));
  ASSERT_TRUE(first.has_value());
  const std::string etag = first->Header("etag");
  auto not_modified = Exchange(Get("/a.txt", "If-None-Match: " + etag + "\r\n"));
  ASSERT_TRUE(not_modified.has_value());
  EXPECT_EQ(not_modified->status_line, "HTTP/1.1 304 Not Modified");
  EXPECT_EQ(not_modified->Header("etag"), etag);
  EXPECT_TRUE(not_modified->body.empty());
  auto multi = Exchange(Get("/a.txt", "Range: bytes=0-0,9-9\r\n"));
  ASSERT_TRUE(multi.has_value());
  EXPECT_EQ(multi->status, 206);
  EXPECT_NE(multi->body.find("Content-Range: bytes 9-9/10\r\n\r\n9\r\n"), std::string::npos);
  EXPECT_EQ(multi->Header("content-length"), std::to_string(multi->body.size()));
  auto unsatisfiable = Exchange(Get("/a.txt", "Range: bytes=50-\r\n"));
  ASSERT_TRUE(unsatisfiable.has_value());
  EXPECT_EQ(unsatisfiable->status_line, "HTTP/1.1 416 Range Not Satisfiable");
  EXPECT_EQ(unsatisfiable->Header("content-range"), "bytes */10");
}

TEST_F(HttpServerTest, StreamsLargeFilesAndRanges) {
  options_.cache_max_file_bytes = 1024;
  options_.read_chunk_bytes = 4096;
  Start();
  auto whole = Exchange(Get("/big.bin"));
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->body, Pattern(300000));
  auto range = Exchange(Get("/big.bin", "Range: bytes=100000-200000,-5\r\n"));
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->status, 206);
  EXPECT_NE(range->body.find(Pattern(300000).substr(100000, 100001)), std::string::npos);
}

TEST_F(HttpServerTest, LargeCachedFilesAreSentFromMemfd) {
  options_.cache_bytes = 16 << 20;
  options_.cache_sendfile_min_bytes = 64 * 1024;
  Start();
  RawHttpClient client(server_->port());
  for (int i = 0; i < 3; ++i) {  // miss, then prepared sendfile responses
    ASSERT_TRUE(client.Send(Get("/big.bin")));
    auto r = client.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Header("content-length"), "300000");
    EXPECT_EQ(r->body, Pattern(300000)) << i;
  }
  ASSERT_TRUE(client.Send(Get("/big.bin", "Range: bytes=299990-\r\n")));
  auto tail = client.Read();
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(tail->status, 206);
  EXPECT_EQ(tail->body, Pattern(300000).substr(299990));
  EXPECT_EQ(handler_->cache().Stats().hits, 3u);
}

TEST_F(HttpServerTest, MalformedRequestsGetPreciseCodes) {
  Start();
  struct Case {
    std::string request;
    std::string status_line;
  };
  const Case cases[] = {
      {Get("/a%zz"), "HTTP/1.1 400 Bad Request"},
      {Get("/../etc/passwd"), "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},  // no Host
      {"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/2.5\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
      {"get / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
      {"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
      {"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found"},
  };
  for (const Case& c : cases) {
    auto r = Exchange(c.request);
    ASSERT_TRUE(r.has_value()) << c.request;
    EXPECT_EQ(r->status_line, c.status_line) << c.request;
  }
  EXPECT_GE(Metric("evermirror_gateway_rejected_total{reason=\"bad_request\"}"), 4);
}

TEST_F(HttpServerTest, PostWithBodyGets405AndTheConnectionCloses) {
  Start();
  RawHttpClient client(server_->port());
  ASSERT_TRUE(client.Send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("allow"), "GET, HEAD");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(HttpServerTest, LongUrlsGet414AndHugeHeaders431) {
  Start();
  auto ours = Exchange(Get("/" + std::string(5000, 'a')));
  ASSERT_TRUE(ours.has_value());
  EXPECT_EQ(ours->status_line, "HTTP/1.1 414 URI Too Long");
  auto library = Exchange(Get("/" + std::string(100000, 'a')));
  ASSERT_TRUE(library.has_value());
  EXPECT_EQ(library->status, 414);
  auto big_field = Exchange(Get("/a.txt", "X-Big: " + std::string(9000, 'b') + "\r\n"));
  ASSERT_TRUE(big_field.has_value());
  EXPECT_EQ(big_field->status_line, "HTTP/1.1 431 Request Header Fields Too Large");
  auto huge_field = Exchange(Get("/a.txt", "X-Big: " + std::string(100000, 'b') + "\r\n"));
  ASSERT_TRUE(huge_field.has_value());
  EXPECT_EQ(huge_field->status, 431);
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  auto many_fields = Exchange(Get("/a.txt", many));
  ASSERT_TRUE(many_fields.has_value());
  EXPECT_EQ(many_fields->status, 431);
  EXPECT_EQ(Metric("evermirror_gateway_rejected_total{reason=\"url_too_long\"}"), 1);
  EXPECT_EQ(Metric("evermirror_gateway_rejected_total{reason=\"header_too_large\"}"), 1);
}

TEST_F(HttpServerTest, SlowlorisHeadIsCutAfterHeaderTimeout) {
  options_.header_timeout = absl::Seconds(15);
  Start();
  RawHttpClient slow(server_->port());
  ASSERT_TRUE(slow.Send("GET /" + kHex + "/a.txt HTTP/1.1\r\nHost: x\r\nX-A: "));
  RawHttpClient idle_ok(server_->port());
  ASSERT_TRUE(idle_ok.Send(Get("/a.txt")));
  ASSERT_TRUE(idle_ok.Read().has_value());  // both connections are registered now
  clock_.AdvanceBy(absl::Seconds(10));
  ASSERT_TRUE(slow.Send("more"));
  EXPECT_EQ(server_->SweepSlowConnections(), 0u);
  clock_.AdvanceBy(absl::Seconds(6));  // bytes trickling in do not extend the deadline
  ASSERT_TRUE(idle_ok.Send(Get("/a.txt")));  // a completed head restarts the clock
  ASSERT_TRUE(idle_ok.Read().has_value());
  EXPECT_EQ(server_->SweepSlowConnections(), 1u);
  EXPECT_TRUE(slow.WaitClosed());
  EXPECT_EQ(Metric("evermirror_gateway_rejected_total{reason=\"header_timeout\"}"), 1);
  ASSERT_TRUE(idle_ok.Send(Get("/a.txt")));
  EXPECT_TRUE(idle_ok.Read().has_value());
}

TEST_F(HttpServerTest, SchedulerRunsTheSweepPeriodically) {
  options_.header_timeout = absl::Seconds(15);
  options_.sweep_interval = absl::Seconds(1);
  Start();
  server_->Stop();
  env::SimScheduler scheduler(&clock_);
  HttpServer server(options_, handler_.get(), metrics_.get(), &clock_, &scheduler);
  ASSERT_TRUE(server.Start().ok());
  RawHttpClient slow(server.port());
  ASSERT_TRUE(slow.Send("GET / HTTP/1.1\r\n"));
  RawHttpClient probe(server.port());  // a completed exchange: both are registered
  ASSERT_TRUE(probe.Send(Get("/a.txt")));
  ASSERT_TRUE(probe.Read().has_value());
  EXPECT_EQ(scheduler.AdvanceBy(absl::Seconds(15)), 15);
  EXPECT_EQ(server.connections().open_connections(), 2u);
  scheduler.AdvanceBy(absl::Seconds(1));
  EXPECT_TRUE(slow.WaitClosed());
  server.Stop();
  EXPECT_EQ(scheduler.pending(), 0u);  // Stop cancelled the next sweep
}

TEST_F(HttpServerTest, PerClientConnectionLimitRefusesExtraConnections) {
  options_.max_connections_per_ip = 2;
  Start();
  RawHttpClient a(server_->port()), b(server_->port());
  for (RawHttpClient* c : {&a, &b}) {
    ASSERT_TRUE(c->Send(Get("/a.txt")));
    ASSERT_TRUE(c->Read().has_value());
  }
  RawHttpClient refused(server_->port());
  refused.Send(Get("/a.txt"));
  EXPECT_FALSE(refused.Read().has_value());
  EXPECT_EQ(Metric("evermirror_gateway_rejected_total{reason=\"per_ip_limit\"}"), 1);
  ASSERT_TRUE(a.Send(Get("/a.txt")));  // the admitted ones keep working
  EXPECT_TRUE(a.Read().has_value());
}

TEST_F(HttpServerTest, RateLimitedClientGets429) {
  options_.rate_limit_per_second = 1;
  options_.rate_limit_burst = 1;
  Start();
  RawHttpClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/a.txt") + Get("/a.txt")));
  auto ok = client.Read();
  auto limited = client.Read();
  ASSERT_TRUE(ok && limited);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(limited->status_line, "HTTP/1.1 429 Too Many Requests");
  EXPECT_EQ(limited->Header("retry-after"), "5");
  EXPECT_EQ(Metric("evermirror_gateway_rejected_total{reason=\"rate_limited\"}"), 1);
}

TEST_F(HttpServerTest, ProtocolErrorsFromTheParserAreCounted) {
  Start();
  RawHttpClient client(server_->port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(Metric("evermirror_gateway_rejected_total{reason=\"protocol_error\"}"), 1);
}

TEST_F(HttpServerTest, ConcurrentReadersNeverSeeAMixedOrStaleVersion) {
  Start();
  constexpr int kClients = 4, kRequests = 250, kVersions = 40;
  std::vector<std::thread> clients;
  std::vector<int> failures(kClients, 0);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      RawHttpClient client(server_->port());
      for (int i = 0; i < kRequests; ++i) {
        auto r = client.Send(Get("/a.txt")) ? client.Read() : std::nullopt;
        const std::string version = r ? r->Header("x-evermirror-version") : "";
        const std::string expected = version == "1" ? "0123456789" : "v" + version;
        if (!r || r->status != 200 || r->body != expected) ++failures[c];
      }
    });
  }
  for (int v = 2; v <= kVersions; ++v) source_.Publish(kKey, {{"a.txt", "v" + std::to_string(v)}});
  for (std::thread& t : clients) t.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(failures[c], 0) << "client " << c;
  auto last = Exchange(Get("/a.txt"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->body, "v" + std::to_string(kVersions));  // invalidation reached the cache
}

TEST_F(HttpServerTest, StartTwiceAndBadAddressFail) {
  Start();
  EXPECT_TRUE(absl::IsFailedPrecondition(server_->Start()));
  GatewayOptions bad = options_;
  bad.listen_address = "not-an-ip";
  HttpServer other(bad, handler_.get(), metrics_.get(), &clock_, nullptr);
  EXPECT_TRUE(absl::IsInvalidArgument(other.Start()));
}

}  // namespace
}  // namespace evermirror::gateway
