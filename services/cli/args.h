// Command-line arguments for the evermirror CLI: positionals plus --name=value, --name value
// and boolean --name flags, checked against what a command accepts.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace evermirror::cli {

class Args {
 public:
  // Parses argv[first..). `value_flags` take a value, `bool_flags` do not; anything else
  // starting with "--" is an error naming the flag. "--" ends flag parsing.
  static absl::StatusOr<Args> Parse(int argc, char** argv, int first, const std::set<std::string>& value_flags,
                                    const std::set<std::string>& bool_flags);

  const std::vector<std::string>& positional() const { return positional_; }
  std::optional<std::string> Get(const std::string& flag) const;
  std::string GetOr(const std::string& flag, const std::string& fallback) const;
  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  // InvalidArgument unless there are between min and max positionals.
  absl::Status ExpectPositional(size_t min, size_t max, const std::string& usage) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
};

}  // namespace evermirror::cli
