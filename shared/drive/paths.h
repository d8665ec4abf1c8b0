// Path names inside a hyperdrive archive. Stored node names are "/" + components joined by
// "/", split as append-tree 2.4.4 splits them (so readers agree on odd names written by other
// tools); paths that people and the gateway pass in are normalised first, as hyperdrive 9.16
// does (path.posix.resolve('/', p)). Used by the trie, the reader and the writer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace evermirror::drive {

using Names = std::vector<std::string>;

// append-tree's split: "/a/b" and "a/b/" -> {"a", "b"}; "/" -> {}. Drops one leading and one
// trailing empty component only, so "/a//b" -> {"a", "", "b"}.
Names SplitName(std::string_view name);
// "/" + the first `n` components joined by "/" (all when n exceeds their number).
std::string JoinNames(const Names& names, size_t n = static_cast<size_t>(-1));
// Length of the common prefix of `a` and `b`.
size_t CommonPrefix(const Names& a, const Names& b);

// Normalises a path for lookup: backslashes become slashes; empty and "." components are
// dropped; ".." removes the previous component and never climbs above the root.
// InvalidArgument for a path with a NUL byte or longer than 4096 bytes.
absl::StatusOr<Names> NormalizePath(std::string_view path);

// Whether `component` may be written by evermirror: not empty, ".", "..", and no '/', '\\' or
// NUL (a reference reader would read those as different paths).
bool IsWritableComponent(std::string_view component);

}  // namespace evermirror::drive
