// Test support for tests/replicator: deterministic block contents, scratch directories, and
// reading a replicator's store from disk after the process is gone (open + Audit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace evermirror::testing {

// Block `index` of test feed `feed`: `size` bytes, different for every (feed, index).
std::string TestBlock(int feed, uint64_t index, size_t size);
// Blocks [0, count) of test feed `feed`, sized `size` (or, with size 0, 100..2100 bytes varying).
std::vector<std::string> TestBlocks(int feed, uint64_t count, size_t size = 0);

// A fresh directory under /tmp; RemoveTree deletes it.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& dir);

struct StoredFeedCheck {
  uint64_t length = 0;
  uint64_t downloaded = 0;
  uint64_t corrupt = 0;              // blocks Audit found not matching their tree leaf
  std::vector<std::string> blocks;   // [0, length); missing ones empty
  std::vector<bool> present;
};

// Opens the feed stored in `dir` (the store's layout, as npm hypercore writes it), audits
// every block and reads them all. REQUIRES: no process has the feed open for writing.
absl::StatusOr<StoredFeedCheck> InspectStoredFeed(const std::string& dir);

}  // namespace evermirror::testing
