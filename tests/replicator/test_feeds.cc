#include "tests/replicator/test_feeds.h"

#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/env/posix_file_system.h"
#include "shared/hypercore/feed.h"

namespace evermirror::testing {

std::string TestBlock(int feed, uint64_t index, size_t size) {
  std::string block = absl::StrCat("feed-", feed, "-block-", index, ":");
  // A cheap pattern that differs per block, so a block served at the wrong index is caught.
  uint64_t x = (static_cast<uint64_t>(feed) << 40) ^ (index * 0x9E3779B97F4A7C15ull) ^ 0x5DEECE66Dull;
  while (block.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    block.push_back(static_cast<char>('a' + x % 26));
  }
  block.resize(size);
  return block;
}

std::vector<std::string> TestBlocks(int feed, uint64_t count, size_t size) {
  std::vector<std::string> blocks;
  blocks.reserve(count);
  for (uint64_t i = 0; i < count; ++i) blocks.push_back(TestBlock(feed, i, size != 0 ? size : 100 + (i * 37) % 2000));
  return blocks;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = absl::StrCat("/tmp/", prefix, "_XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

void RemoveTree(const std::string& dir) {
  if (!dir.empty()) (void)env::DefaultFileSystem()->RemoveAll(dir);
}

absl::StatusOr<StoredFeedCheck> InspectStoredFeed(const std::string& dir) {
  EM_ASSIGN_OR_RETURN(std::unique_ptr<hypercore::Feed> feed, hypercore::Feed::Open(env::DefaultFileSystem(), dir));
  StoredFeedCheck check;
  EM_RETURN_IF_ERROR(feed->Audit(&check.corrupt));
  check.length = feed->length();
  check.downloaded = feed->downloaded();
  for (uint64_t i = 0; i < check.length; ++i) {
    absl::StatusOr<std::string> block = feed->Get(i);
    if (!block.ok() && !hypercore::IsMissingBlock(block.status())) return block.status();
    check.present.push_back(block.ok());
    check.blocks.push_back(block.ok() ? std::move(*block) : std::string());
  }
  return check;
}

}  // namespace evermirror::testing
