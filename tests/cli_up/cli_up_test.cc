// `evermirror up` end to end: on an empty data directory it starts the four services, publishes
// the bundled example site and serves it at the printed URL and by its alias; a crashed service
// is restarted; Ctrl-C stops everything; a second `up` on the same data reuses the same site.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/gateway/testing/raw_http_client.h"
#include "shared/env/posix_file_system.h"
#include "tests/tools/child_process.h"

namespace evermirror::testing {
namespace {

constexpr uint16_t kHttpPort = 8080;  // up's default

// Whole file, "" if unreadable (streams, because /proc files report size 0).
std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Direct children of `pid` with their command lines (from /proc/PID/task/*/children: each
// thread lists the children it forked, and the supervisor forks from more than one thread).
std::vector<std::pair<pid_t, std::string>> Children(pid_t pid) {
  std::vector<std::pair<pid_t, std::string>> out;
  absl::StatusOr<std::vector<env::DirEntry>> tasks = env::DefaultFileSystem()->List(absl::StrCat("/proc/", pid, "/task"));
  if (!tasks.ok()) return out;
  for (const env::DirEntry& task : *tasks) {
    const std::string list = ReadText(absl::StrCat("/proc/", pid, "/task/", task.name, "/children"));
    for (absl::string_view word : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
      int child = 0;
      if (!absl::SimpleAtoi(word, &child)) continue;
      std::string cmdline = ReadText(absl::StrCat("/proc/", child, "/cmdline"));
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      out.emplace_back(child, cmdline);
    }
  }
  return out;
}

std::optional<pid_t> ServicePid(pid_t up, const std::string& service) {
  for (const auto& [pid, cmdline] : Children(up)) {
    if (absl::StrContains(cmdline, "evermirror-" + service + " ")) return pid;
  }
  return std::nullopt;
}

std::optional<gateway::RawResponse> Get(const std::string& path, const std::string& host = "127.0.0.1") {
  gateway::RawHttpClient client(kHttpPort);
  if (!client.connected() || !client.Send(absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host, "\r\n\r\n"))) {
    return std::nullopt;
  }
  return client.Read();
}

// Polls until `path` answers 200 with `body`, or the deadline passes.
bool ServedWithin(const std::string& path, const std::string& host, const std::string& body, absl::Duration d) {
  const absl::Time deadline = absl::Now() + d;
  while (absl::Now() < deadline) {
    std::optional<gateway::RawResponse> r = Get(path, host);
    if (r.has_value() && r->status == 200 && r->body == body) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

class CliUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_cli_up_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    data_ = std::string(tmpl) + "/data";
    index_html_ = ReadText(std::string(EVERMIRROR_SOURCE_DIR) + "/examples/site/index.html");
    ASSERT_FALSE(index_html_.empty());
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const char* service : {"replicator", "swarm", "ingest", "gateway"}) {
        std::cerr << "--- " << service << ".log:\n" << ReadText(data_ + "/logs/" + service + ".log");
      }
    }
    up_.reset();
    (void)env::DefaultFileSystem()->RemoveAll(env::DirName(data_));
  }

  // Starts `up` and reads its output until it says it is up; returns the printed site URL path.
  std::string StartUp() {
    auto up = ChildProcess::Start({EM_CLI_BINARY, "up", "--data", data_});
    EXPECT_TRUE(up.ok()) << up.status();
    if (!up.ok()) return "";
    up_.emplace(std::move(*up));
    std::string path;
    while (std::optional<std::string> line = up_->ReadLine(absl::Seconds(60))) {
      if (absl::StrContains(*line, "example site")) {
        const size_t at = line->find("http://127.0.0.1:8080");
        if (at != std::string::npos) path = line->substr(at + std::string("http://127.0.0.1:8080").size());
      }
      if (absl::StrContains(*line, "Press Ctrl-C")) return path;
    }
    ADD_FAILURE() << "`up` never said it was up; output:\n" << up_->output();
    return "";
  }

  // Ctrl-C: `up` exits 0 and no service outlives it.
  void Interrupt() {
    const std::vector<std::pair<pid_t, std::string>> services = Children(up_->pid());
    EXPECT_EQ(services.size(), 4u);
    up_->Kill(SIGINT);
    EXPECT_EQ(up_->Wait(absl::Seconds(30)), 0);
    for (const auto& [pid, cmdline] : services) {
      EXPECT_NE(::kill(pid, 0), 0) << cmdline << " outlived `up`";
    }
  }

  std::string data_;
  std::string index_html_;
  std::optional<ChildProcess> up_;
};

TEST_F(CliUpTest, ServesTheExampleSiteRestartsACrashedServiceAndStopsTogether) {
  const std::string path = StartUp();
  ASSERT_TRUE(absl::StartsWith(path, "/") && path.size() == 66) << "site URL path: " << path;
  std::optional<gateway::RawResponse> r = Get(path);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, index_html_);
  EXPECT_EQ(r->Header("content-type"), "text/html; charset=utf-8");
  // The alias goes through ingest (a MirrorAdd on the box's own log) to the gateway's routes.
  EXPECT_TRUE(absl::StrContains(up_->output(), "http://example.localhost:8080/"));
  EXPECT_TRUE(ServedWithin("/", "example.localhost:8080", index_html_, absl::Seconds(20)));

  // kill -9 the gateway: the supervisor starts it again and the site comes back.
  std::optional<pid_t> gateway = ServicePid(up_->pid(), "gateway");
  ASSERT_TRUE(gateway.has_value()) << "no gateway child";
  ASSERT_EQ(::kill(*gateway, SIGKILL), 0);
  EXPECT_TRUE(ServedWithin(path, "127.0.0.1", index_html_, absl::Seconds(30)));
  EXPECT_NE(ServicePid(up_->pid(), "gateway"), gateway);
  Interrupt();
}

// The author's path: `site create` and `site publish` while `up` runs go through the node, which
// stores the site, announces it (a MirrorAdd to itself, applied by ingest) and serves it.
TEST_F(CliUpTest, ASiteCreatedAndPublishedWhileUpRunsIsKeptAndServedByTheNode) {
  ASSERT_FALSE(StartUp().empty());
  const std::string folder = env::DirName(data_) + "/blog";
  ASSERT_TRUE(env::DefaultFileSystem()->CreateDirs(folder).ok());
  ASSERT_TRUE(env::WriteFileAtomic(*env::DefaultFileSystem(), folder + "/index.html", "<h1>my blog</h1>").ok());
  auto run = [&](const std::string& verb) {
    auto cli = ChildProcess::Start({"/bin/sh", "-c", absl::StrCat(EM_CLI_BINARY, " site ", verb, " ", folder, " 2>&1")},
                                   {"EVERMIRROR_HOME=" + env::DirName(data_) + "/home"});
    EXPECT_TRUE(cli.ok());
    EXPECT_EQ(cli->Wait(absl::Seconds(60)), 0) << cli->output();
    cli->Drain();
    return cli->output();
  };
  const std::string created = run("create");
  EXPECT_TRUE(absl::StrContains(created, "stored   by the evermirror node")) << created;
  const std::string published = run("publish");
  EXPECT_TRUE(absl::StrContains(published, "1 added")) << published;
  EXPECT_FALSE(absl::StrContains(created + published, "not announced")) << created << published;
  const std::string key = ReadText(folder + "/.evermirror-site").substr(0, 64);
  EXPECT_TRUE(ServedWithin("/" + key + "/", "127.0.0.1", "<h1>my blog</h1>", absl::Seconds(20)));
  // Ingest applied the node's own MirrorAdd for it (the example site's is the other).
  const std::string ingest_log = ReadText(data_ + "/logs/ingest.log");
  size_t applied = 0;
  for (size_t at = 0; (at = ingest_log.find("type=mirror_add outcome=OUTCOME_APPLIED", at)) != std::string::npos; ++at) ++applied;
  EXPECT_EQ(applied, 2u) << ingest_log;
  Interrupt();
}

TEST_F(CliUpTest, ASecondStartKeepsTheSameSiteAndAppendsNothingNew) {
  const std::string first = StartUp();
  ASSERT_FALSE(first.empty());
  Interrupt();
  up_.reset();
  const std::string second = StartUp();
  EXPECT_EQ(second, first);
  EXPECT_TRUE(absl::StrContains(up_->output(), "(0 added, 0 modified, 0 deleted)")) << up_->output();
  EXPECT_TRUE(ServedWithin(second, "127.0.0.1", index_html_, absl::Seconds(20)));
  EXPECT_TRUE(ServedWithin("/", "example.localhost", index_html_, absl::Seconds(20)));
  Interrupt();
}

}  // namespace
}  // namespace evermirror::testing
