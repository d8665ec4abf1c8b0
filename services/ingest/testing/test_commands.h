// Test support: commands as a laptop would write them.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "evermirror/commands/v1/commands.pb.h"

namespace evermirror::ingest::testing {

// A command with a fresh id, issued at `issued_at`, for the boxes `to`.
commands::v1::Command NewCommand(absl::Time issued_at, std::vector<std::string> to = {});
commands::v1::Command MirrorAddCommand(const std::string& site, const std::string& alias = "",
                                       std::vector<std::string> to = {});
// A fresh random key, hex.
std::string RandomKey();

}  // namespace evermirror::ingest::testing
