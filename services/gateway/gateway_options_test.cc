#include "services/gateway/gateway_options.h"

#include "gtest/gtest.h"
#include "shared/base/hex.h"

namespace evermirror::gateway {
namespace {

TEST(GatewayOptionsTest, DefaultsAreValid) { EXPECT_TRUE(GatewayOptions().Validate().ok()); }

TEST(GatewayOptionsTest, RejectsBadFieldsNamingThem) {
  GatewayOptions o;
  o.threads = 0;
  EXPECT_NE(o.Validate().message().find("threads"), std::string::npos);
  o = GatewayOptions();
  o.max_connections_per_ip = o.max_connections + 1;
  EXPECT_NE(o.Validate().message().find("max_connections_per_ip"), std::string::npos);
  o = GatewayOptions();
  o.connection_memory_bytes = o.max_header_bytes;
  EXPECT_NE(o.Validate().message().find("connection_memory_bytes"), std::string::npos);
  o = GatewayOptions();
  o.cache_max_file_bytes = o.cache_bytes + 1;
  EXPECT_FALSE(o.Validate().ok());
  o = GatewayOptions();
  o.cache_sendfile_min_bytes = 4096;  // 32 MiB of 4 KiB memfds: too many descriptors
  EXPECT_NE(o.Validate().message().find("cache_sendfile_min_bytes"), std::string::npos);
  o = GatewayOptions();
  o.rate_limit_per_second = 10;
  o.rate_limit_burst = 0;
  EXPECT_NE(o.Validate().message().find("rate_limit_burst"), std::string::npos);
}

TEST(GatewayOptionsTest, HostAliasesNeedValidKeys) {
  GatewayOptions o;
  o.host_aliases["blog.example.org"] = ToHex(std::string(32, 'a'));
  o.host_aliases["z.example.org"] = ToZBase32(std::string(32, 'b'));
  EXPECT_TRUE(o.Validate().ok());
  o.host_aliases["bad.example.org"] = "abcd";
  EXPECT_TRUE(absl::IsInvalidArgument(o.Validate()));
}

}  // namespace
}  // namespace evermirror::gateway
