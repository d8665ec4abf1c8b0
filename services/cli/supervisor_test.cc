// The supervisor with real service processes (evermirror-replicator on free loopback ports).
#include "services/cli/supervisor.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::cli {
namespace {

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_supervisor_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(env::DefaultFileSystem()->RemoveAll(tmp_).ok()); }

  ServiceSpec Replicator(const std::string& name, const std::vector<std::string>& extra = {}) {
    const std::string admin = absl::StrCat("127.0.0.1:", FreePort());
    ServiceSpec spec{name,
                     {REPLICATOR_BINARY, absl::StrCat("--box.data_dir=", tmp_, "/", name), "--admin_address=" + admin,
                      "--metrics_address=", "--peer_address=127.0.0.1:0", "--swarm_address="},
                     absl::StrCat(tmp_, "/", name, ".log"), admin};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    return spec;
  }

  std::string tmp_;
};

TEST_F(SupervisorTest, StartsInOrderRestartsTheDeadAndStopsAll) {
  SupervisorOptions options;
  options.min_restart_delay = absl::Milliseconds(100);
  Supervisor supervisor(options);
  ASSERT_TRUE(supervisor.Start({Replicator("one"), Replicator("two")}).ok());
  // Kill one the hard way: it comes back.
  const pid_t first = supervisor.pid("one");
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (supervisor.restarts("one") == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(supervisor.restarts("one"), 1);
  EXPECT_NE(supervisor.pid("one"), first);
  EXPECT_EQ(supervisor.restarts("two"), 0);
  supervisor.Stop();
  // Both exited through their SIGTERM path (logged "stopped"), none is left running.
  EXPECT_EQ(supervisor.pid("one"), -1);
  EXPECT_EQ(supervisor.pid("two"), -1);
  std::stringstream two;
  two << std::ifstream(tmp_ + "/two.log").rdbuf();
  EXPECT_NE(two.str().find("event=stopped"), std::string::npos) << two.str();
}

TEST_F(SupervisorTest, AServiceThatCannotStartIsReportedWithItsLog) {
  Supervisor supervisor;
  const absl::Status status = supervisor.Start({Replicator("bad", {"--max_connections=0"})});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("bad.log"), std::string::npos) << status;
  std::stringstream log;
  log << std::ifstream(tmp_ + "/bad.log").rdbuf();
  EXPECT_NE(log.str().find("max_connections"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace evermirror::cli
