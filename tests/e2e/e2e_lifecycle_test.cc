// Issue 6, end to end, a mirror's life after the first copy: the laptop goes away and a third
// host fetches the site from the box (found by the DHT) over p2p and over HTTP; a version
// published while the box is offline is mirrored when it is back, and the gateway switches to
// it only once it is complete; `mirror remove` stops serving and seeding at once and deletes
// the data.
#include <cstdio>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "shared/base/hex.h"
#include "shared/crypto/key_text.h"
#include "shared/env/posix_file_system.h"
#include "shared/lan/testing/netns.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/swarm/swarm_harness.h"

namespace evermirror::e2e {
namespace {

class E2eLifecycleTest : public E2eTest {
 protected:
  // Laptop and box on the DHT; the site published, mirrored (`mirror add --wait`) and served.
  Published Mirrored(const Files& files) {
    StartLaptopAndBox(/*dht=*/true, /*lan=*/false);
    if (HasFatalFailure()) return {};
    const Published site = PublishOnLaptop(files);
    const CliResult added = Cli(*laptop_, {"mirror", "add", site.site, "--to", box_->identity().receipt_log_key(),
                                           "--wait", "--timeout", "120s"}, absl::Seconds(140));
    EXPECT_EQ(added.code, 0) << added.output;
    EXPECT_TRUE(ServedWithin(box_->ip(), site.site, files));
    return site;
  }

  bool TopicJoined(Host& host, const std::string& discovery_key_hex) {
    auto client = swarm::testing::SwarmClient::Connect(host.Socket("swarm"));
    if (!client.ok()) return false;
    grpc::ClientContext context;
    swarm::v1::ListTopicsResponse topics;
    if (!(*client)->stub().ListTopics(&context, swarm::v1::ListTopicsRequest(), &topics).ok()) return false;
    for (const swarm::v1::Topic& t : topics.topics()) {
      if (ToHex(t.discovery_key()) == discovery_key_hex) return true;
    }
    return false;
  }
};

TEST_F(E2eLifecycleTest, AThirdHostFetchesTheSiteFromTheBoxOnceTheLaptopIsGone) {
  const Files files = SmallSite("third host");
  const Published site = Mirrored(files);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(laptop_->Down().ok());
  ASSERT_TRUE(lan_->SetLink("laptop", false).ok());

  Host* third = StartHost(Options("third", 3, /*dht=*/true, /*lan=*/false));
  ASSERT_NE(third, nullptr);
  ASSERT_TRUE(Seed(*third, site.site).ok());  // a third evermirror mirrors it from whoever has it
  EXPECT_TRUE(ServedWithin(third->ip(), site.site, files)) << "the third host never got the site over p2p";
  const crypto::PublicKey key = crypto::ParsePublicKeyText(site.site).value();
  auto feed = third->replicator().GetFeed(key);
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->downloaded_blocks(), feed->length());

  // Over HTTP from the third host's own namespace to the box's gateway.
  std::optional<gateway::RawResponse> page;
  ASSERT_TRUE(lan::testing::RunInNetnsOf(third->netns_pid(), [&] { page = HttpGet(box_->ip(), "/" + site.site + "/img/photo.bin"); }).ok());
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(page->body == files.at("/img/photo.bin"));
}

TEST_F(E2eLifecycleTest, AVersionPublishedWhileTheBoxIsOfflineIsServedOnlyOnceComplete) {
  const Files v1 = SmallSite("version one");
  const Published first = Mirrored(v1);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(lan_->SetLink("box", false).ok());
  Files v2 = v1;
  v2["/index.html"] = "<h1>version two</h1>\n";
  v2["/big.bin"] = RandomBytes(12 << 20, 11);  // many blocks: the sync takes a while
  const Published second = PublishOnLaptop(v2, first.site);
  ASSERT_GT(second.version, first.version);
  ASSERT_TRUE(lan_->SetLink("box", true).ok());

  // Poll the box's gateway through the sync. The publish wrote several versions (one per
  // changed file); whatever version a response names, its files are whole: index.html is one
  // of the two texts, big.bin is absent (an older version) or complete, never "not downloaded".
  std::set<uint64_t> versions;
  const absl::Time deadline = absl::Now() + kPatience;
  while (!versions.count(second.version) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));  // under the gateway's per-client rate limit
    std::optional<gateway::RawResponse> r = HttpGet(box_->ip(), "/" + first.site + "/index.html");
    ASSERT_TRUE(r.has_value());
    if (r->status == 429) continue;
    ASSERT_EQ(r->status, 200);
    uint64_t version = 0, latest = 0;
    ASSERT_TRUE(absl::SimpleAtoi(r->Header("x-evermirror-version"), &version)) << r->Header("x-evermirror-version");
    ASSERT_TRUE(absl::SimpleAtoi(r->Header("x-evermirror-latest"), &latest));
    ASSERT_LE(version, latest);
    ASSERT_TRUE(r->body == v1.at("/index.html") || r->body == v2.at("/index.html")) << r->body;
    if (r->body == v2.at("/index.html")) {
      ASSERT_GT(version, first.version);
    }
    std::optional<gateway::RawResponse> big = HttpGet(box_->ip(), "/" + first.site + "/big.bin");
    ASSERT_TRUE(big.has_value());
    if (big->status == 429) continue;
    ASSERT_TRUE(big->status == 404 || (big->status == 200 && big->body == v2.at("/big.bin")))
        << "status " << big->status << ", " << big->body.size() << " bytes, version " << big->Header("x-evermirror-version");
    versions.insert(version);
  }
  std::printf("[figure] new version: served versions during the sync:");
  for (uint64_t v : versions) std::printf(" %llu", static_cast<unsigned long long>(v));
  std::printf("\n");
  EXPECT_TRUE(versions.count(second.version)) << "the box never served the new version";
  EXPECT_TRUE(ServedWithin(box_->ip(), first.site, v2));
}

TEST_F(E2eLifecycleTest, RemoveStopsServingAndSeedingAtOnceAndDeletesTheData) {
  const Files files = SmallSite("remove");
  const Published site = Mirrored(files);
  ASSERT_FALSE(HasFatalFailure());
  const crypto::PublicKey key = crypto::ParsePublicKeyText(site.site).value();
  auto metadata = box_->replicator().GetFeed(key);
  ASSERT_TRUE(metadata.ok());
  auto content = box_->replicator().GetFeed(crypto::ParsePublicKeyText(metadata->content_key()).value());
  ASSERT_TRUE(content.ok());
  const std::string feeds = box_->data_dir() + "/replicator/feeds/";
  env::FileSystem& fs = *env::DefaultFileSystem();
  ASSERT_TRUE(fs.Exists(feeds + metadata->discovery_key()));
  ASSERT_TRUE(fs.Exists(feeds + content->discovery_key()));
  ASSERT_TRUE(TopicJoined(*box_, metadata->discovery_key()));

  const CliResult removed = Cli(*laptop_, {"mirror", "remove", site.site, "--to", box_->identity().receipt_log_key(),
                                           "--wait", "--timeout", "60s"});
  ASSERT_EQ(removed.code, 0) << removed.output;
  const absl::Time receipted = absl::Now();
  std::optional<gateway::RawResponse> r;
  while ((r = HttpGet(box_->ip(), "/" + site.site + "/index.html")).has_value() && r->status != 404 &&
         absl::Now() < receipted + absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  std::printf("[figure] remove: receipt on the laptop -> 404 at the box %.0f ms\n",
              absl::ToDoubleMilliseconds(absl::Now() - receipted));
  EXPECT_FALSE(TopicJoined(*box_, metadata->discovery_key())) << "still announced";
  EXPECT_FALSE(box_->replicator().GetFeed(key).ok()) << "still replicated";
  EXPECT_FALSE(fs.Exists(feeds + metadata->discovery_key()));
  EXPECT_FALSE(fs.Exists(feeds + content->discovery_key()));
}

}  // namespace
}  // namespace evermirror::e2e
