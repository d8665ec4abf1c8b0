// Text forms of the value types a config option can have: durations ("30s", "5m", "1h30m"),
// sizes ("64MiB", "500kB", "4096"), booleans and comma-separated lists. Used by the schema
// (shared/config/schema.h) for environment variables, flags, file strings and the docs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evermirror::config {

// Go-style durations: a sequence of <number><unit>, units ns us ms s m h ("1h30m", "250ms",
// "1.5s"), or "0". InvalidArgument for a missing unit, negative or infinite durations.
absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);
// The shortest form ParseDuration reads back exactly: "30s", "1m30s", "250ms", "0".
std::string DurationToString(absl::Duration d);

// A byte count: digits with an optional unit (case-insensitive, optional space): B, KiB,
// MiB, GiB, TiB (powers of 1024) or kB, MB, GB, TB (powers of 1000). "4096" is bytes.
// InvalidArgument for unknown units, fractions, negative values or overflow.
absl::StatusOr<uint64_t> ParseSize(std::string_view text);
// "64MiB" when a binary unit divides exactly, else "<n>B"; 0 is "0B".
std::string SizeToString(uint64_t bytes);

// "true"/"false"/"1"/"0"/"yes"/"no"/"on"/"off" (case-insensitive); nullopt otherwise.
std::optional<bool> ParseBool(std::string_view text);

// "a, b,c" -> {"a","b","c"}: split on commas, whitespace trimmed, empty items dropped, so an
// empty string is an empty list.
std::vector<std::string> SplitList(std::string_view text);
// {"a","b"} -> "a,b".
std::string JoinList(const std::vector<std::string>& items);

}  // namespace evermirror::config
