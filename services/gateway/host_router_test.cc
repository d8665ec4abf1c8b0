#include "services/gateway/host_router.h"

#include "gtest/gtest.h"
#include "shared/base/hex.h"

namespace evermirror::gateway {
namespace {

const std::string kKey(32, '\x01');
const std::string kOther(32, '\x02');

HostRouter Router() {
  return HostRouter("Mirror.Example.org", {{"blog.example.org", ToHex(kKey)},
                                           {"Z.example.net", ToZBase32(kOther)}});
}

TEST(HostRouterTest, GatewayItselfRoutesByPath) {
  HostRouter router = Router();
  for (const char* host : {"", "mirror.example.org", "MIRROR.example.org.:8080", "127.0.0.1:80",
                           "[::1]:8080", "localhost:1234", "10.1.2.3"}) {
    auto route = router.Route(host);
    ASSERT_TRUE(route.ok()) << host;
    EXPECT_EQ(route->kind, HostRoute::Kind::kPath) << host;
  }
}

TEST(HostRouterTest, ConfiguredAliasesMatchExactly) {
  HostRouter router = Router();
  auto route = router.Route("Blog.Example.Org:443");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->kind, HostRoute::Kind::kKey);
  EXPECT_EQ(route->value, kKey);
  route = router.Route("z.example.net");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->value, kOther);
}

TEST(HostRouterTest, SubdomainsOfGatewayDomainAreAliasesOrKeys) {
  HostRouter router = Router();
  auto route = router.Route("myblog.mirror.example.org");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->kind, HostRoute::Kind::kAlias);
  EXPECT_EQ(route->value, "myblog");
  EXPECT_FALSE(route->fallback_to_path);
  route = router.Route(ToZBase32(kOther) + ".mirror.example.org");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->kind, HostRoute::Kind::kKey);
  EXPECT_EQ(route->value, kOther);
}

TEST(HostRouterTest, OtherHostsAreFullDomainAliasesFallingBackToPath) {
  auto route = Router().Route("www.someone.org");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->kind, HostRoute::Kind::kAlias);
  EXPECT_EQ(route->value, "www.someone.org");
  EXPECT_TRUE(route->fallback_to_path);
}

TEST(HostRouterTest, MalformedHostsAreInvalid) {
  HostRouter router = Router();
  for (const char* host : {"a b", "a/b", "x:", "x:port", "x:123456", "[::1", "a\r\nb",
                           "evil.com@x"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(router.Route(host).status())) << host;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(router.Route(std::string(300, 'a')).status()));
}

}  // namespace
}  // namespace evermirror::gateway
