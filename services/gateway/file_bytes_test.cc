#include "services/gateway/file_bytes.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

TEST(FileBytesTest, SmallContentsStayOnTheHeap) {
  FileBytes bytes(std::string("hello"), 1024);
  EXPECT_EQ(bytes.view(), "hello");
  EXPECT_EQ(bytes.fd(), -1);
}

TEST(FileBytesTest, LargeContentsLiveInAReadableMemfd) {
  const std::string data(100000, 'x');
  FileBytes bytes(data, 1024);
  ASSERT_GE(bytes.fd(), 0);
  EXPECT_EQ(bytes.view(), data);
  char buf[5];
  ASSERT_EQ(pread(bytes.fd(), buf, sizeof(buf), 99995), 5);
  EXPECT_EQ(std::string(buf, 5), "xxxxx");
}

TEST(FileBytesTest, MovesKeepTheViewValid) {
  FileBytes small(std::string("abc"), 1024);
  FileBytes big(std::string(5000, 'b'), 1024);
  FileBytes moved_small(std::move(small));
  FileBytes moved_big;
  moved_big = std::move(big);
  EXPECT_EQ(moved_small.view(), "abc");
  EXPECT_EQ(moved_big.view(), std::string(5000, 'b'));
  EXPECT_EQ(small.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(big.fd(), -1);      // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(FileBytes().view().empty());
  EXPECT_TRUE(FileBytes(std::string(), 0).view().empty());
}

}  // namespace
}  // namespace evermirror::gateway
