// The replication engine against the reference over real TCP (inside a private network
// namespace, see CMakeLists.txt): npm hypercore 7.7.1 writing into evermirror, live, and
// evermirror writing into hypercore 7.7.1 and 6.26.0 readers; encrypted and in plain.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/env/posix_file_system.h"
#include "shared/replication/connection.h"
#include "shared/replication/testing_pipe.h"
#include "tests/tools/child_process.h"

namespace evermirror::replication {
namespace {

using ::evermirror::testing::ChildProcess;

const std::string kSource = EVERMIRROR_SOURCE_DIR;
const std::string kSeedHex(64, '7');

int Listen(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int AcceptWithin(int listener, absl::Duration timeout) {
  pollfd pfd{listener, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) <= 0) return -1;
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Drives `conn` over socket `fd` until `done()` holds, the peer closes, an error, or timeout.
absl::Status Drive(int fd, Connection& conn, ChildProcess& child, const std::function<bool()>& done,
                 absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string buf(1 << 16, '\0');
  while (!done()) {
    if (absl::Now() > deadline) return absl::DeadlineExceededError("interop run timed out");
    std::string& out = conn.output();
    while (!out.empty()) {
      const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      out.erase(0, static_cast<size_t>(n));
    }
    pollfd pfds[2] = {{fd, static_cast<short>(POLLIN | (out.empty() ? 0 : POLLOUT)), 0}, {child.stdout_fd(), POLLIN, 0}};
    ::poll(pfds, 2, 50);
    child.Drain();
    if (pfds[0].revents & POLLIN) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n == 0) return absl::UnavailableError("peer closed the connection");
      if (n > 0) {
        absl::Status status = conn.OnBytes(buf.data(), static_cast<size_t>(n));
        if (!status.ok()) return status;
      }
    }
    if (absl::Status status = conn.Poll(); !status.ok()) return status;
  }
  return absl::OkStatus();
}

std::vector<std::string> NodeEnv(const std::string& reference) {
  return {absl::StrCat("NODE_PATH=", kSource, "/tests/interop/npm/", reference, "/node_modules")};
}

struct Param {
  std::string reference;
  bool encrypted;
};

class ReplicationInteropTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_repl_interop_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    listener_ = Listen(&port_);
  }
  void TearDown() override {
    ::close(listener_);
    ASSERT_TRUE(env::DefaultFileSystem()->RemoveAll(tmp_).ok());
  }
  ChildProcess StartPeer(const std::string& mode, const std::string& key, int count) {
    std::vector<std::string> argv = {"node", kSource + "/tests/replication_interop/ref_peer.js", mode, key,
                                     absl::StrCat(port_), absl::StrCat(count)};
    if (!GetParam().encrypted) argv.push_back("--plain");
    auto child = ChildProcess::Start(argv, NodeEnv(GetParam().reference));
    EXPECT_TRUE(child.ok()) << child.status();
    return std::move(*child);
  }
  ConnectionOptions Options() const {
    ConnectionOptions options;
    options.encrypted = GetParam().encrypted;
    return options;
  }

  env::FileSystem* fs_ = env::DefaultFileSystem();
  env::Clock* clock_ = env::RealClock();
  std::string tmp_;
  int listener_ = -1;
  uint16_t port_ = 0;
  testing::MapDirectory directory_;
  testing::RecordingObserver observer_;
};

// The writer direction runs against hypercore 7.7.1; readers are checked on 7.7.1 and 6.26.0.
class ReferenceWriterTest : public ReplicationInteropTest {};
class ReferenceReaderTest : public ReplicationInteropTest {};

TEST_P(ReferenceWriterTest, ReplicatesIntoEvermirrorThenLive) {  const crypto::KeyPair kp = crypto::KeyPairFromSeed(crypto::ToArray<32>(*FromHex(kSeedHex)));
  hypercore::FeedOptions feed_options;
  feed_options.auto_flush = false;
  auto replica = std::make_shared<ReplicatedFeed>(
      std::shared_ptr<hypercore::Feed>(
          hypercore::Feed::OpenOrCreateReplica(fs_, tmp_ + "/replica", kp.public_key, feed_options).value()),
      DownloadMode::kAll);
  directory_.Add(replica);
  ChildProcess peer = StartPeer("write", kSeedHex, 200);
  const int fd = AcceptWithin(listener_, absl::Seconds(60));
  ASSERT_GE(fd, 0) << peer.output();
  Connection conn(Options(), &directory_, &observer_, clock_);
  absl::Status status = Drive(fd, conn, peer, [&] { return replica->feed().downloaded() == 200; }, absl::Seconds(120));
  ASSERT_TRUE(status.ok()) << status << "\n" << peer.output();
  ASSERT_TRUE(peer.WriteLine("append 7").ok());
  status = Drive(fd, conn, peer, [&] { return replica->feed().downloaded() == 207; }, absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << status << "\n" << peer.output();
  for (uint64_t i = 0; i < 207; ++i) EXPECT_EQ(replica->feed().Get(i).value(), absl::StrCat("ref-block-", i));
  EXPECT_EQ(replica->feed().length(), 207u);
  ::close(fd);
}

TEST_P(ReferenceReaderTest, VerifiesEverythingEvermirrorServesThenLive) {
  auto feed = std::shared_ptr<hypercore::Feed>(hypercore::Feed::Create(fs_, tmp_ + "/w", crypto::GenerateKeyPair()).value());
  std::vector<std::string> blocks;
  for (int i = 0; i < 150; ++i) blocks.push_back(absl::StrCat("em-block-", i, std::string(i * 13, '.')));
  for (const std::string& b : blocks) ASSERT_TRUE(feed->Append(b).ok());
  auto writer = std::make_shared<ReplicatedFeed>(feed, DownloadMode::kNone);
  directory_.Add(writer);
  ChildProcess peer = StartPeer("read", ToHex(crypto::AsView(feed->key())), 150);
  const int fd = AcceptWithin(listener_, absl::Seconds(60));
  ASSERT_GE(fd, 0) << peer.output();
  Connection conn(Options(), &directory_, &observer_, clock_);
  auto synced = [&](int n) { return peer.output().find(absl::StrCat("synced ", n, "\n")) != std::string::npos; };
  absl::Status status = Drive(fd, conn, peer, [&] { return synced(150); }, absl::Seconds(120));
  ASSERT_TRUE(status.ok()) << status << "\n" << peer.output();
  // Live: append while connected; the reference reader gets the new blocks without asking.
  for (int i = 150; i < 155; ++i) {
    blocks.push_back(absl::StrCat("em-live-", i));
    ASSERT_TRUE(feed->Append(blocks.back()).ok());
  }
  ASSERT_TRUE(conn.OnLocalBlocks(*writer, 150, 5).ok());
  ASSERT_TRUE(peer.WriteLine("expect 155").ok());
  status = Drive(fd, conn, peer, [&] { return synced(155); }, absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << status << "\n" << peer.output();
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_NE(peer.output().find(absl::StrCat("leaf ", i, " ", ToHex(crypto::AsView(hypercore::LeafHash(blocks[i]))))),
              std::string::npos)
        << "block " << i << " not verified by the reference";
  }
  ::close(fd);
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return info.param.reference + (info.param.encrypted ? "_encrypted" : "_plain");
}

INSTANTIATE_TEST_SUITE_P(References, ReferenceWriterTest,
                         ::testing::Values(Param{"hypercore7", true}, Param{"hypercore7", false}), ParamName);
INSTANTIATE_TEST_SUITE_P(References, ReferenceReaderTest,
                         ::testing::Values(Param{"hypercore7", true}, Param{"hypercore7", false},
                                           Param{"hypercore6", true}, Param{"hypercore6", false}),
                         ParamName);

}  // namespace
}  // namespace evermirror::replication
