#include "shared/config/values.h"

#include <array>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "shared/base/strings.h"

namespace evermirror::config {
namespace {

struct Unit {
  const char* name;  // lower case
  uint64_t factor;
};

constexpr uint64_t kKiB = 1024;
constexpr std::array<Unit, 10> kUnits = {{
    {"b", 1},
    {"kib", kKiB},
    {"mib", kKiB * kKiB},
    {"gib", kKiB * kKiB * kKiB},
    {"tib", kKiB * kKiB * kKiB * kKiB},
    {"kb", 1000},
    {"mb", 1000 * 1000},
    {"gb", 1000 * 1000 * 1000},
    {"tb", 1000ull * 1000 * 1000 * 1000},
    {"", 1},
}};

absl::Status SizeError(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad size \"", ToAbsl(text), "\": ", ToAbsl(why),
                                                 " (expected e.g. 4096, 512KiB, 64MiB, 2GiB)"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(std::string_view text) {
  const std::string trimmed(absl::StripAsciiWhitespace(ToAbsl(text)));
  absl::Duration d;
  if (trimmed.empty() || !absl::ParseDuration(trimmed, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad duration \"", ToAbsl(text), "\" (expected e.g. 250ms, 30s, 5m, 1h30m)"));
  }
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("duration \"", ToAbsl(text), "\" must be finite and not negative"));
  }
  return d;
}

std::string DurationToString(absl::Duration d) { return absl::FormatDuration(d); }

absl::StatusOr<uint64_t> ParseSize(std::string_view text) {
  std::string_view rest = ToStd(absl::StripAsciiWhitespace(ToAbsl(text)));
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits == 0) return SizeError(text, "no leading number");
  uint64_t number = 0;
  if (!absl::SimpleAtoi(ToAbsl(rest.substr(0, digits)), &number)) return SizeError(text, "number too large");
  const std::string unit = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ToAbsl(rest.substr(digits))));
  for (const Unit& u : kUnits) {
    if (unit != u.name) continue;
    if (number > std::numeric_limits<uint64_t>::max() / u.factor) return SizeError(text, "too large");
    return number * u.factor;
  }
  return SizeError(text, "unknown unit");
}

std::string SizeToString(uint64_t bytes) {
  static constexpr std::array<Unit, 4> kBinary = {{
      {"TiB", kKiB * kKiB * kKiB * kKiB}, {"GiB", kKiB * kKiB * kKiB}, {"MiB", kKiB * kKiB}, {"KiB", kKiB}}};
  for (const Unit& u : kBinary) {
    if (bytes != 0 && bytes % u.factor == 0) return absl::StrCat(bytes / u.factor, u.name);
  }
  return absl::StrCat(bytes, "B");
}

std::optional<bool> ParseBool(std::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ToAbsl(text)));
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return std::nullopt;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(ToAbsl(text), ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& items) { return absl::StrJoin(items, ","); }

}  // namespace evermirror::config
