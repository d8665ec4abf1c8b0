// The mirrored site (see mirrored_site.h) opened in headless Chromium through a real
// evermirror-gateway, by key and by its Host alias: the page renders with its CSS and its image,
// no request fails and the gateway answered nothing with 4xx or 5xx meanwhile; the screenshot
// stays in the build tree. Without Chromium the test is skipped (77), except in CI, where it
// fails. Inside netns_run.sh.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/gateway_e2e/mirrored_site.h"

namespace evermirror::testing {
namespace {

// Chromium's path from PATH, "" if absent.
std::string FindChromium() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(dir, "/chromium");
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// The gateway's requests_total by code class ("2xx" -> n) from its /metrics page.
std::map<std::string, double> RequestsByClass(const std::string& metrics) {
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (!absl::StartsWith(line, "evermirror_gateway_requests_total{")) continue;
    const size_t at = line.find("code_class=\"");
    const size_t space = line.rfind(' ');
    double value = 0;
    if (at == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) continue;
    out[std::string(line.substr(at + 12, 3))] += value;
  }
  return out;
}

struct PageReport {
  std::vector<std::string> responses;  // "STATUS MIME URL"
  std::vector<std::string> failed;
  std::map<std::string, std::string> styles;
  std::string image;                   // "COMPLETE WIDTH HEIGHT PIXEL"
  std::string screenshot;
  uint64_t screenshot_bytes = 0;
  std::string error;
};

PageReport Parse(const std::string& output) {
  PageReport report;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.first == "response") report.responses.push_back(kv.second);
    if (kv.first == "failed") report.failed.push_back(kv.second);
    if (kv.first == "error") report.error = kv.second;
    if (kv.first == "style") {
      std::pair<std::string, std::string> style = absl::StrSplit(kv.second, absl::MaxSplits(' ', 1));
      report.styles[style.first] = style.second;
    }
    if (kv.first == "image") report.image = kv.second.substr(kv.second.find(' ') + 1);
    if (kv.first == "screenshot") {
      std::pair<std::string, std::string> shot = absl::StrSplit(kv.second, ' ');
      report.screenshot = shot.first;
      (void)absl::SimpleAtoi(shot.second, &report.screenshot_bytes);
    }
  }
  return report;
}

class GatewayBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = FindChromium();
    ASSERT_FALSE(chromium_.empty()) << "chromium is not installed (scripts/install-deps.sh test installs it)";
    absl::StatusOr<std::unique_ptr<MirroredSite>> started = MirroredSite::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    site_ = *std::move(started);
  }
  void TearDown() override {
    if (HasFailure() && site_ != nullptr) std::fprintf(stderr, "%s", site_->Logs().c_str());
  }

  // Opens `url` in a fresh headless Chromium, keeping its screenshot and log in `out_dir`.
  PageReport Open(const std::string& url, const std::string& out_dir, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {"node", std::string(EVERMIRROR_SOURCE_DIR) + "/tests/gateway_e2e/browser_check.js",
                                     chromium_, out_dir, url};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<ChildProcess> node = ChildProcess::Start(argv);
    if (!node.ok()) {
      PageReport failed;
      failed.error = node.status().ToString();
      return failed;
    }
    const std::optional<int> code = node->Wait(absl::Seconds(75));
    PageReport report = Parse(node->output());
    if (code != 0 && report.error.empty()) report.error = absl::StrCat("browser_check.js failed: ", node->output());
    return report;
  }

  std::map<std::string, double> GatewayRequests() {
    return RequestsByClass(Curl(site_->dir(), {}, site_->MetricsUrl()).body);
  }

  // The page rendered with the site's stylesheet and image, all of it served with 200.
  void ExpectRendered(const PageReport& page, const std::string& origin_and_site) {
    ASSERT_EQ(page.error, "");
    EXPECT_TRUE(page.failed.empty()) << absl::StrJoin(page.failed, "\n");
    for (const std::string& response : page.responses) EXPECT_TRUE(absl::StartsWith(response, "200 ")) << response;
    for (const char* expected : {"200 text/html /", "200 text/css /style.css", "200 image/png /img/logo.png"}) {
      std::vector<std::string> parts = absl::StrSplit(expected, ' ');
      const std::string line = absl::StrCat(parts[0], " ", parts[1], " ", origin_and_site, parts[2]);
      EXPECT_NE(std::find(page.responses.begin(), page.responses.end(), line), page.responses.end())
          << line << " not among\n" << absl::StrJoin(page.responses, "\n");
    }
    EXPECT_EQ(page.styles.at("body-background-color"), "rgb(250, 240, 200)");  // style.css
    EXPECT_EQ(page.styles.at("title-color"), "rgb(20, 60, 120)");
    EXPECT_EQ(page.image, "true 48 32 40,90,200,255");  // img/logo.png decoded, first pixel
    EXPECT_GT(page.screenshot_bytes, 1000u);
  }

  std::string chromium_;
  std::unique_ptr<MirroredSite> site_;
};

TEST_F(GatewayBrowserTest, TheSiteRendersWithItsCssAndImagesAndNoFailedRequests) {
  const std::string artefacts = EM_ARTEFACT_DIR;
  const std::map<std::string, double> before = GatewayRequests();

  PageReport by_key = Open(site_->SiteUrl("/"), artefacts + "/by_key");
  ExpectRendered(by_key, site_->SiteUrl(""));
  // By its Host alias: Chromium resolves the name to the gateway (no DNS in the namespace).
  const std::string alias_origin = absl::StrCat("http://", MirroredSite::kHostAlias, ":", site_->http_port());
  PageReport by_alias = Open(alias_origin + "/", artefacts + "/by_alias",
                             {absl::StrCat("--host-resolver-rules=MAP ", MirroredSite::kHostAlias, " 127.0.0.1")});
  ExpectRendered(by_alias, alias_origin);

  const std::map<std::string, double> after = GatewayRequests();
  for (const char* failure : {"4xx", "5xx"}) {
    EXPECT_EQ(after.count(failure) ? after.at(failure) : 0, before.count(failure) ? before.at(failure) : 0)
        << failure << " answers while the browser loaded the site";
  }
  EXPECT_GE(after.at("2xx") - (before.count("2xx") ? before.at("2xx") : 0), 6) << "html, css and png, twice";
  std::printf("screenshots: %s %s\n", by_key.screenshot.c_str(), by_alias.screenshot.c_str());
}

}  // namespace
}  // namespace evermirror::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* ci = std::getenv("CI");
  if (evermirror::testing::FindChromium().empty() && (ci == nullptr || *ci == '\0' || std::string(ci) == "false")) {
    std::fprintf(stderr, "gateway_browser_test: chromium is not installed; skipping (in CI this fails)\n");
    return 77;
  }
  return RUN_ALL_TESTS();
}
