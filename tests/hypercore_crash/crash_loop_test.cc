// kill -9 loops: a child process appends to (or downloads into) a feed on the real file
// system and is killed at a random moment, again and again. After every kill the feed must
// reopen as a valid prefix holding everything the child acknowledged.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/env/posix_file_system.h"
#include "shared/env/random.h"
#include "shared/hypercore/feed.h"
#include "tests/hypercore_crash/content.h"

namespace evermirror::hypercore {
namespace {

constexpr int kKills = 25;

// Starts the child, lets it run for `run_ms`, SIGKILLs it and returns the last number it
// printed (what it had acknowledged), or 0.
uint64_t RunAndKill(const std::vector<std::string>& args, int run_ms) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    std::vector<char*> argv;
    std::string child = CRASH_CHILD;
    argv.push_back(child.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));  // the point: a random moment
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  // Only complete lines count: a number cut off by the kill was never acknowledged.
  const size_t end = out.rfind('\n');
  if (end == std::string::npos) return 0;
  const size_t begin = out.rfind('\n', end - 1);
  return std::stoull(out.substr(begin == std::string::npos ? 0 : begin + 1, end));
}

class CrashLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_crash_loop_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(fs_->RemoveAll(tmp_).ok()); }

  // Returns the length of the feed the killed writer left (0 when it died before the feed's
  // `key` existed, which is only allowed while nothing was acknowledged).
  uint64_t CheckWriter(const std::string& dir, uint64_t acknowledged) {
    auto feed = Feed::Open(fs_, dir);
    if (absl::IsNotFound(feed.status()) && acknowledged == 0) return 0;
    EXPECT_TRUE(feed.ok()) << feed.status();
    if (!feed.ok()) return 0;
    EXPECT_GE((*feed)->length(), acknowledged);
    for (uint64_t i = 0; i < (*feed)->length(); ++i) {
      auto block = (*feed)->Get(i);
      EXPECT_TRUE(block.ok()) << i << ": " << block.status();
      if (!block.ok() || *block != crash::Content(i)) {
        ADD_FAILURE() << "block " << i;
        break;
      }
    }
    uint64_t corrupt = 1;
    EXPECT_TRUE((*feed)->Audit(&corrupt).ok());
    EXPECT_EQ(corrupt, 0u);
    return (*feed)->length();
  }

  void AppendLoop(bool auto_flush) {
    const std::string dir = tmp_ + "/feed";
    env::SeededRandom rng(auto_flush ? 1 : 2);
    uint64_t previous = 0;
    for (int k = 0; k < kKills; ++k) {
      SCOPED_TRACE(absl::StrCat("kill ", k));
      std::vector<std::string> args = {"append", dir};
      if (!auto_flush) args.push_back("--no-auto-flush");
      const uint64_t acknowledged = RunAndKill(args, 5 + static_cast<int>(rng.Uniform(60)));
      previous = CheckWriter(dir, std::max(previous, acknowledged));
      if (HasFailure()) return;
    }
    EXPECT_GT(previous, 100u);  // the loop really appended
  }

  env::FileSystem* fs_ = env::DefaultFileSystem();
  std::string tmp_;
};

TEST_F(CrashLoopTest, KilledWriterNeverLosesAcknowledgedBlocks) { AppendLoop(/*auto_flush=*/true); }

// Batched commits: whatever a peer could have verified (its signature was read) survives.
TEST_F(CrashLoopTest, KilledWriterWithBatchedCommitsKeepsWhatItServed) { AppendLoop(/*auto_flush=*/false); }

TEST_F(CrashLoopTest, KilledDownloaderKeepsOnlyVerifiedBlocksAndResumes) {
  const std::string src = tmp_ + "/src";
  const std::string dst = tmp_ + "/dst";
  {
    auto writer = Feed::Create(fs_, src, crash::Key()).value();
    for (uint64_t i = 0; i < 3000; ++i) ASSERT_TRUE(writer->Append(crash::Content(i)).ok());
  }
  env::SeededRandom rng(3);
  uint64_t previous = 0;
  for (int k = 0; k < kKills && previous < 3000; ++k) {
    SCOPED_TRACE(absl::StrCat("kill ", k));
    const uint64_t acknowledged = RunAndKill({"download", src, dst}, 5 + static_cast<int>(rng.Uniform(40)));
    auto reader = Feed::OpenOrCreateReplica(fs_, dst, crash::Key().public_key);
    ASSERT_TRUE(reader.ok()) << reader.status();
    ASSERT_GE((*reader)->downloaded(), std::max(previous, acknowledged));
    uint64_t corrupt = 1;
    ASSERT_TRUE((*reader)->Audit(&corrupt).ok());
    ASSERT_EQ(corrupt, 0u);
    for (uint64_t i = (*reader)->NextMissing(0) + 1; i < 3000; i += 101) {
      if ((*reader)->Has(i)) {
        ASSERT_TRUE((*reader)->Get(i).value() == crash::Content(i)) << i;
      }
    }
    previous = (*reader)->downloaded();
  }
  EXPECT_GT(previous, 0u);
}

}  // namespace
}  // namespace evermirror::hypercore
