#include "shared/dht/dht_options.h"

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

TEST(DhtOptionsTest, DefaultsAreValidAndHaveNoBootstrapNodes) {
  const DhtOptions options;
  EXPECT_TRUE(options.Validate().ok());
  // No public bootstrap node is built in: joining needs configuration or saved state.
  EXPECT_TRUE(options.bootstrap.empty());
  EXPECT_GE(options.reannounce_min, absl::Minutes(10));
  EXPECT_LE(options.reannounce_max, absl::Minutes(15));
}

TEST(DhtOptionsTest, RejectsBadValuesNamingTheField) {
  DhtOptions o;
  o.k = 0;
  EXPECT_NE(o.Validate().message().find("k "), absl::string_view::npos);
  o = DhtOptions();
  o.reannounce_max = absl::Minutes(5);
  EXPECT_NE(o.Validate().message().find("reannounce_max"), absl::string_view::npos);
  o = DhtOptions();
  o.bootstrap.push_back(Endpoint{0x7f000001, 0});
  EXPECT_NE(o.Validate().message().find("bootstrap"), absl::string_view::npos);
  o = DhtOptions();
  o.rate_limit.rate_per_second = 0;
  EXPECT_FALSE(o.Validate().ok());
  o = DhtOptions();
  o.query_timeout = absl::ZeroDuration();
  EXPECT_NE(o.Validate().message().find("query_timeout"), absl::string_view::npos);
}

}  // namespace
}  // namespace evermirror::dht
