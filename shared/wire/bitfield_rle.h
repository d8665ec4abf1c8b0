// bitfield-rle, the run-length code of Have.bitfield on the v6 wire, byte-identical to the npm
// package bitfield-rle 2.2.1 that hypercore 7 uses. A sequence of `varint h`: if h & 1, a run of
// h >> 2 bytes, all 0xff when h & 2 else 0x00; otherwise a literal of h >> 1 bytes follows.
// Trailing zero bytes are omitted. Bits are MSB-first: block 0 is 0x80 of byte 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace evermirror::wire {

// Appends the encoding of `bitfield`, choosing runs and literals exactly as the reference does,
// so the output is byte-for-byte what npm bitfield-rle produces.
void AppendBitfieldRle(std::string_view bitfield, std::string* out);
std::string EncodeBitfieldRle(std::string_view bitfield);

// The number of bytes `encoded` decodes to (npm bitfield-rle's decodingLength with align 1).
// InvalidArgument on a truncated or over-long varint or a literal running past the end;
// ResourceExhausted once the total would exceed `max_size` (nothing is allocated).
absl::StatusOr<uint64_t> BitfieldRleDecodedSize(std::string_view encoded, uint64_t max_size);

// Decodes `encoded`. Same errors as BitfieldRleDecodedSize, checked before any allocation, so a
// hostile run length costs nothing. (hypercore pads its decoded bitfields to a multiple of 4
// bytes; padding with zeros is the caller's business.)
absl::StatusOr<std::string> DecodeBitfieldRle(std::string_view encoded, uint64_t max_size);

// Bit `index` of an MSB-first bitfield; false beyond its end.
inline bool BitfieldGet(std::string_view bitfield, uint64_t index) {
  const uint64_t byte = index >> 3;
  if (byte >= bitfield.size()) return false;
  return (static_cast<uint8_t>(bitfield[byte]) >> (7 - (index & 7))) & 1;
}

}  // namespace evermirror::wire
