// Byte-level encoding helpers used by every wire and storage format in evermirror:
// big-endian integers (hypercore tree/header fields) and protobuf-style varints (framing).
// Byte strings are std::string / std::string_view throughout, as protobuf uses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evermirror {

// Appends `v` as 8 (resp. 4, 2) big-endian bytes.
void AppendU64BE(std::string* out, uint64_t v);
void AppendU32BE(std::string* out, uint32_t v);
void AppendU16BE(std::string* out, uint16_t v);

// REQUIRES: `p` points at >= 8 (resp. 4, 2) readable bytes.
uint64_t LoadU64BE(const char* p);
uint32_t LoadU32BE(const char* p);
uint16_t LoadU16BE(const char* p);
void StoreU64BE(char* p, uint64_t v);

// Unsigned LEB128 varint, at most 10 bytes.
void AppendVarint(std::string* out, uint64_t v);
size_t VarintLength(uint64_t v);

// Decodes a varint from the front of `*in` and advances it. Returns nullopt (and leaves
// `*in` untouched) on a truncated varint or one longer than 10 bytes / overflowing 64 bits.
std::optional<uint64_t> ConsumeVarint(std::string_view* in);

}  // namespace evermirror
