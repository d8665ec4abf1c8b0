// Hex and z-base-32 encodings for keys as people type them (dat:// links, CLI arguments).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace evermirror {

// Lower-case hex of `bytes`.
std::string ToHex(std::string_view bytes);

// Decodes hex (either case). nullopt on odd length or a non-hex character.
std::optional<std::string> FromHex(std::string_view hex);

// z-base-32 (the alphabet of Zooko's human-oriented base-32), as used for Dat keys in hostnames.
std::string ToZBase32(std::string_view bytes);
std::optional<std::string> FromZBase32(std::string_view text);

}  // namespace evermirror
