#include "shared/metrics/metrics_server.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/metrics/testing/scrape.h"

namespace evermirror::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<MetricsServer> StartOrDie(const Registry& registry, std::string address = "127.0.0.1:0") {
  MetricsServerOptions options;
  options.listen_address = std::move(address);
  absl::StatusOr<std::unique_ptr<MetricsServer>> server = MetricsServer::Start(options, registry);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

Registry MakeRegistry() {
  Registry registry("testing");
  registry.Counter("requests_total", "Requests served.", {{"code", "ok"}}).Increment(7);
  registry.Gauge("queue_depth", "Items waiting.").Set(3);
  prometheus::Histogram& h = registry.Histogram("request_seconds", "Request latency.", LatencyBuckets());
  h.Observe(0.003);
  h.Observe(0.2);
  return registry;
}

TEST(MetricsServerTest, ServesTheRegistryOverLoopbackOnAnOsChosenPort) {
  Registry registry = MakeRegistry();
  std::unique_ptr<MetricsServer> server = StartOrDie(registry);
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->address(), absl::StrCat("127.0.0.1:", server->port()));

  absl::StatusOr<testing::HttpResponse> page = testing::HttpGet(server->port());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->headers, HasSubstr("text/plain"));
  EXPECT_THAT(page->body, HasSubstr("# TYPE evermirror_testing_requests_total counter"));
  EXPECT_THAT(page->body, HasSubstr("evermirror_testing_requests_total{code=\"ok\"} 7"));
  EXPECT_THAT(page->body, HasSubstr("evermirror_testing_queue_depth 3"));
  EXPECT_THAT(page->body, HasSubstr("evermirror_testing_request_seconds_bucket{le=\"0.005\"} 1"));
  EXPECT_THAT(page->body, HasSubstr("evermirror_testing_request_seconds_count 2"));

  // Scrapes see live values.
  registry.Gauge("queue_depth", "Items waiting.").Set(11);
  EXPECT_THAT(testing::HttpGet(server->port())->body, HasSubstr("evermirror_testing_queue_depth 11"));
}

TEST(MetricsServerTest, UnknownPathsAreNotFound) {
  Registry registry("testing");
  std::unique_ptr<MetricsServer> server = StartOrDie(registry);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(testing::HttpGet(server->port(), "/nope")->status, 404);
}

TEST(MetricsServerTest, TakenPortIsAClearError) {
  Registry registry("testing");
  std::unique_ptr<MetricsServer> first = StartOrDie(registry);
  ASSERT_NE(first, nullptr);
  MetricsServerOptions options;
  options.listen_address = first->address();
  absl::StatusOr<std::unique_ptr<MetricsServer>> second = MetricsServer::Start(options, registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), StartsWith(absl::StrCat("cannot serve metrics on ", first->address())));
}

TEST(MetricsServerTest, StopsServingWhenDestroyed) {
  Registry registry("testing");
  std::unique_ptr<MetricsServer> server = StartOrDie(registry);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  server.reset();
  EXPECT_EQ(testing::HttpGet(port).status().code(), absl::StatusCode::kUnavailable);
}

TEST(MetricsServerTest, RejectsAddressesItCannotServe) {
  Registry registry("testing");
  for (const char* bad : {"", "unix:/tmp/m.sock", "metrics.example:9100", "[::1]:0", "nonsense"}) {
    MetricsServerOptions options;
    options.listen_address = bad;
    EXPECT_EQ(MetricsServer::Start(options, registry).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MetricsServerTest, LocalhostMeansIpv4Loopback) {
  Registry registry("testing");
  std::unique_ptr<MetricsServer> server = StartOrDie(registry, "localhost:0");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->address(), absl::StrCat("127.0.0.1:", server->port()));
  EXPECT_EQ(testing::HttpGet(server->port())->status, 200);
}

TEST(MetricsServerTest, ScrapedPagePassesPromtool) {
  if (!testing::FindPromtool()) GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  Registry registry = MakeRegistry();
  std::unique_ptr<MetricsServer> server = StartOrDie(registry);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<testing::HttpResponse> page = testing::HttpGet(server->port());
  ASSERT_TRUE(page.ok()) << page.status();
  absl::StatusOr<testing::PromtoolResult> lint = testing::PromtoolCheckMetrics(page->body);
  ASSERT_TRUE(lint.ok()) << lint.status();
  EXPECT_EQ(lint->exit_code, 0) << lint->output;
  EXPECT_EQ(lint->output, "") << "promtool complaints:\n" << lint->output;
}

TEST(MetricsServerTest, PromtoolCatchesABadPage) {
  if (!testing::FindPromtool()) GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  // A counter without _total: proves the promtool check above can fail.
  absl::StatusOr<testing::PromtoolResult> lint =
      testing::PromtoolCheckMetrics("# HELP x_requests Requests.\n# TYPE x_requests counter\nx_requests 1\n");
  ASSERT_TRUE(lint.ok()) << lint.status();
  EXPECT_THAT(lint->output, HasSubstr("counter metrics should have \"_total\" suffix"));
}

}  // namespace
}  // namespace evermirror::metrics
