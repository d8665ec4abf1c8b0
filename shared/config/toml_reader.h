// Reads the box config file (TOML) into untyped per-section values with their positions, for
// the loader to check against the schema. The only file that includes toml++.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "shared/config/schema.h"

namespace evermirror::config {

struct FileEntry {
  RawValue value;
  int line = 0;  // 1-based position of the value in the file
  int column = 0;
};

// [section] -> key -> value. Nested tables become kOther values ("table").
using ParsedFile = std::map<std::string, std::map<std::string, FileEntry>>;

// Parses TOML `text`; `path` only labels messages. InvalidArgument "path:line:col: what" for
// syntax errors and for keys outside any [section] or sections that are not tables.
absl::StatusOr<ParsedFile> ParseToml(std::string_view text, std::string_view path);

}  // namespace evermirror::config
