#include "shared/metrics/process_collector.h"

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/metrics/metrics_server.h"
#include "shared/metrics/testing/scrape.h"

namespace evermirror::metrics {
namespace {

using ::testing::HasSubstr;

// A real /proc/PID/stat line of a process whose name holds a space and a parenthesis.
constexpr char kStat[] =
    "4242 (evermirror (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 12345 "
    "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

TEST(ProcessCollectorTest, ParsesTheFieldsAfterTheLastParenthesis) {
  absl::StatusOr<ProcessStats> s = ParseProcStat(kStat, 100, 4096, 1700000000);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);  // (250 + 50) ticks at 100 Hz
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1700000000 + 123.45);
  EXPECT_DOUBLE_EQ(s->virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 2560.0 * 4096);
}

TEST(ProcessCollectorTest, RejectsTruncatedOrGarbledText) {
  EXPECT_FALSE(ParseProcStat("", 100, 4096, 0).ok());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2 3", 100, 4096, 0).ok());
  std::string garbled = kStat;
  garbled.replace(garbled.find(" 250 "), 5, " 2x0 ");
  EXPECT_FALSE(ParseProcStat(garbled, 100, 4096, 0).ok());
}

TEST(ProcessCollectorTest, ReadsThisProcess) {
  absl::StatusOr<ProcessStats> s = ReadSelfStats();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GT(s->resident_bytes, 1 << 20);
  EXPECT_GT(s->open_fds, 2);  // at least stdin, stdout, stderr
  EXPECT_GE(s->max_fds, s->open_fds);
  EXPECT_GT(s->start_time_seconds, 1.6e9);
  EXPECT_LE(s->start_time_seconds, static_cast<double>(::time(nullptr)) + 1);
}

TEST(ProcessCollectorTest, TheMetricsPageCarriesProcessMetricsAndBuildInfo) {
  Registry registry("testing");
  MetricsServerOptions options;
  auto server = MetricsServer::Start(options, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<testing::HttpResponse> page = testing::HttpGet((*server)->port());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->body, HasSubstr("# TYPE process_cpu_seconds_total counter"));
  EXPECT_THAT(page->body, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(page->body, HasSubstr("process_open_fds "));
  EXPECT_THAT(page->body, HasSubstr("evermirror_testing_build_info{version=\""));
}

}  // namespace
}  // namespace evermirror::metrics
