#include "services/gateway/byte_range.h"

#include <limits>
#include <optional>

namespace evermirror::gateway {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Decimal digits, saturating at uint64 max (a huge position is still a valid position).
std::optional<uint64_t> ParseDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    v = v > (kMax - d) / 10 ? kMax : v * 10 + d;
  }
  return v;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

enum class SpecResult { kInvalid, kUnsatisfiable, kOk };

// One range-spec: "first-last", "first-" or "-suffix".
SpecResult ParseSpec(std::string_view spec, uint64_t length, ByteRange* out) {
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return SpecResult::kInvalid;
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  if (first_text.empty()) {
    const auto suffix = ParseDigits(last_text);
    if (!suffix.has_value()) return SpecResult::kInvalid;
    if (*suffix == 0 || length == 0) return SpecResult::kUnsatisfiable;
    out->first = *suffix >= length ? 0 : length - *suffix;
    out->last = length - 1;
    return SpecResult::kOk;
  }
  const auto first = ParseDigits(first_text);
  if (!first.has_value()) return SpecResult::kInvalid;
  uint64_t last = kMax;
  if (!last_text.empty()) {
    const auto parsed = ParseDigits(last_text);
    if (!parsed.has_value() || *parsed < *first) return SpecResult::kInvalid;
    last = *parsed;
  }
  if (*first >= length) return SpecResult::kUnsatisfiable;
  out->first = *first;
  out->last = last >= length ? length - 1 : last;
  return SpecResult::kOk;
}

}  // namespace

RangeRequest ParseRange(std::string_view header, uint64_t length, size_t max_ranges) {
  RangeRequest out;
  const size_t eq = header.find('=');
  if (eq == std::string_view::npos) return out;
  if (!EqualsIgnoreCase(Trim(header.substr(0, eq)), "bytes")) return out;
  std::string_view rest = header.substr(eq + 1);
  size_t specs = 0;
  std::vector<ByteRange> ranges;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view spec = Trim(rest.substr(0, comma));
    if (!spec.empty()) {  // the list syntax allows empty elements
      if (++specs > max_ranges) {
        out.kind = RangeRequest::Kind::kUnsatisfiable;
        return out;
      }
      ByteRange range;
      switch (ParseSpec(spec, length, &range)) {
        case SpecResult::kInvalid:
          return RangeRequest{};
        case SpecResult::kUnsatisfiable:
          break;
        case SpecResult::kOk:
          ranges.push_back(range);
          break;
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (specs == 0) return out;
  out.kind = ranges.empty() ? RangeRequest::Kind::kUnsatisfiable : RangeRequest::Kind::kSatisfiable;
  out.ranges = std::move(ranges);
  return out;
}

}  // namespace evermirror::gateway
