// libFuzzer target for the bencode decoder: any input must decode or fail cleanly, within
// its limits, and whatever decodes must re-encode to exactly the input (the decoder accepts
// canonical encodings only). Seed corpus: bencode_corpus/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shared/dht/bencode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using evermirror::dht::bencode::Decode;
  using evermirror::dht::bencode::DecodeLimits;
  using evermirror::dht::bencode::Encode;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  DecodeLimits limits;
  limits.max_depth = 8;
  limits.max_container_entries = 64;
  limits.max_values = 512;
  absl::StatusOr<evermirror::dht::bencode::Value> value = Decode(input, limits);
  if (value.ok() && Encode(*value) != input) std::abort();
  return 0;
}
