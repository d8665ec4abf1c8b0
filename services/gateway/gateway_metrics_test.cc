#include "services/gateway/gateway_metrics.h"

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace evermirror::gateway {
namespace {

std::string Text(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(GatewayMetricsTest, CountsByStatusClassWithoutSiteLabelByDefault) {
  auto registry = std::make_shared<prometheus::Registry>();
  GatewayMetrics metrics(registry, false);
  metrics.RecordResponse(200, "blog", 10);
  metrics.RecordResponse(206, "blog", 5);
  metrics.RecordResponse(404, "", 0);
  metrics.RecordResponse(999, "", 0);
  metrics.RecordRejection(Rejection::kRateLimited);
  metrics.RecordCacheLookup(true);
  const std::string text = Text(*registry);
  EXPECT_NE(text.find("evermirror_gateway_requests_total{code_class=\"2xx\"} 2"), std::string::npos);
  EXPECT_NE(text.find("evermirror_gateway_requests_total{code_class=\"4xx\"} 1"), std::string::npos);
  EXPECT_NE(text.find("evermirror_gateway_requests_total{code_class=\"other\"} 1"), std::string::npos);
  EXPECT_NE(text.find("evermirror_gateway_response_body_bytes_total{code_class=\"2xx\"} 15"), std::string::npos);
  EXPECT_NE(text.find("evermirror_gateway_rejected_total{reason=\"rate_limited\"} 1"), std::string::npos);
  EXPECT_NE(text.find("evermirror_gateway_cache_hits_total 1"), std::string::npos);
  EXPECT_EQ(text.find("blog"), std::string::npos);
}

TEST(GatewayMetricsTest, SiteLabelOnlyWhenEnabled) {
  auto registry = std::make_shared<prometheus::Registry>();
  GatewayMetrics metrics(registry, true);
  metrics.RecordResponse(200, "blog", 10);
  metrics.RecordResponse(503, "", 0);
  const std::string text = Text(*registry);
  EXPECT_NE(text.find("evermirror_gateway_requests_total{code_class=\"2xx\",site=\"blog\"} 1"), std::string::npos);
  EXPECT_NE(text.find("evermirror_gateway_requests_total{code_class=\"5xx\",site=\"-\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace evermirror::gateway
