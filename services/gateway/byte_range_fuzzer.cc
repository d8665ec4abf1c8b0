// libFuzzer target for ParseRange: no crash, and every satisfiable answer lies inside the
// representation, within the range count limit.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "services/gateway/byte_range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using evermirror::gateway::ParseRange;
  using evermirror::gateway::RangeRequest;
  if (size < 9) return 0;
  uint64_t length;
  std::memcpy(&length, data, 8);
  if (data[8] & 1) length %= 4096;  // small lengths make more specs satisfiable
  const size_t max_ranges = 1 + data[8] % 32;
  const std::string_view header(reinterpret_cast<const char*>(data + 9), size - 9);
  const RangeRequest r = ParseRange(header, length, max_ranges);
  if (r.kind == RangeRequest::Kind::kSatisfiable) {
    if (r.ranges.empty() || r.ranges.size() > max_ranges) std::abort();
    for (const auto& range : r.ranges) {
      if (range.first > range.last || range.last >= length) std::abort();
    }
  } else if (!r.ranges.empty()) {
    std::abort();
  }
  return 0;
}
