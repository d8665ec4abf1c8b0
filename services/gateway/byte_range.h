// Parsing of the HTTP Range header (RFC 9110 section 14) against a representation's length:
// single and multiple ranges, suffix and open-ended ranges. Pure functions; fuzzed by
// byte_range_fuzzer.cc.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace evermirror::gateway {

struct ByteRange {
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive; first <= last < length
  uint64_t size() const { return last - first + 1; }
};

struct RangeRequest {
  enum class Kind {
    kIgnore,         // no usable Range header (absent, other unit, bad syntax): send 200
    kSatisfiable,    // `ranges` holds >= 1 range, in request order: send 206
    kUnsatisfiable,  // no range overlaps the representation, or too many ranges: send 416
  };
  Kind kind = Kind::kIgnore;
  std::vector<ByteRange> ranges;
};

// Interprets `header` (the Range field value) for a representation of `length` bytes.
// Unsatisfiable specs are dropped; if none is left the request is unsatisfiable. More than
// `max_ranges` specs make it unsatisfiable too, so a client cannot ask for a huge number of
// tiny or overlapping ranges. Syntactically invalid headers are ignored, as RFC 9110 allows.
RangeRequest ParseRange(std::string_view header, uint64_t length, size_t max_ranges);

}  // namespace evermirror::gateway
