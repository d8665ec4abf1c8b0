// Issue 6, end to end: a laptop publishes a site and tells a box (which knows only the
// laptop's owner key) to mirror it with `evermirror mirror add --wait`; the box finds the
// laptop by the DHT (through the switch's bootstrap node) or, separately, by LAN multicast DNS
// only, applies the command, mirrors the site and serves it over HTTP byte for byte; the
// laptop sees the receipt and the progress (`mirror status`).
#include "absl/strings/match.h"
#include "evermirror/swarm/v1/swarm.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/swarm/swarm_harness.h"

namespace evermirror::e2e {
namespace {

namespace spb = swarm::v1;

// The box's candidates for the laptop's address, and which mechanisms reported them.
std::set<spb::PeerSource> SourcesOfLaptop(Host& box, const std::string& laptop_ip) {
  std::set<spb::PeerSource> out;
  auto client = swarm::testing::SwarmClient::Connect(box.Socket("swarm"));
  if (!client.ok()) return out;
  auto peers = (*client)->ListPeers("");
  if (!peers.ok()) return out;
  for (const spb::Peer& p : peers->peers()) {
    if (p.host() != laptop_ip) continue;
    for (int s : p.sources()) out.insert(static_cast<spb::PeerSource>(s));
  }
  return out;
}

class E2eDiscoveryTest : public E2eTest {
 protected:
  // The whole story from `mirror add` to the site served; `source` must have found the laptop.
  void MirrorAndServe(spb::PeerSource source) {
    const Files files = SmallSite("discovery");
    const Published site = PublishOnLaptop(files);
    ASSERT_FALSE(site.site.empty());
    const CliResult added = Cli(*laptop_, {"mirror", "add", site.site, "--to", box_->identity().receipt_log_key(),
                                           "--alias", "blog", "--wait", "--timeout", "150s"},
                                absl::Seconds(170));
    ASSERT_EQ(added.code, 0) << added.output;
    EXPECT_TRUE(absl::StrContains(added.output, "applied by \"box\"")) << added.output;
    EXPECT_TRUE(absl::StrContains(added.output, absl::StrCat("mirrored: version ", site.version))) << added.output;

    EXPECT_TRUE(ServedWithin(box_->ip(), site.site, files)) << "the box's gateway does not serve the site";
    std::optional<gateway::RawResponse> index = HttpGet(box_->ip(), "/" + site.site + "/");
    ASSERT_TRUE(index.has_value());
    EXPECT_EQ(index->body, files.at("/index.html"));
    EXPECT_EQ(index->Header("x-evermirror-version"), absl::StrCat(site.version));

    const std::set<spb::PeerSource> sources = SourcesOfLaptop(*box_, laptop_->ip());
    EXPECT_TRUE(sources.count(source)) << "the box's swarm did not find the laptop by " << spb::PeerSource_Name(source);
    EXPECT_EQ(sources.size(), 1u) << "only one mechanism is on";

    const CliResult status = Cli(*laptop_, {"mirror", "status", site.site, "--to", box_->identity().receipt_log_key()});
    ASSERT_EQ(status.code, 0) << status.output;
    EXPECT_TRUE(absl::StrContains(status.output, "complete")) << status.output;
    EXPECT_TRUE(absl::StrContains(status.output, "(last: APPLIED")) << status.output;
  }
};

TEST_F(E2eDiscoveryTest, OverTheDht) {
  StartLaptopAndBox(/*dht=*/true, /*lan=*/false);
  ASSERT_FALSE(HasFatalFailure());
  MirrorAndServe(spb::PEER_SOURCE_DHT);
}

TEST_F(E2eDiscoveryTest, OverTheLanOnlyTrustedByOneCommand) {
  StartLaptopAndBox(/*dht=*/false, /*lan=*/true, /*trust_in_config=*/false);
  ASSERT_FALSE(HasFatalFailure());
  MirrorAndServe(spb::PEER_SOURCE_LAN);
}

}  // namespace
}  // namespace evermirror::e2e
