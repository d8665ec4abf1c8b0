// Conversions between std::string_view and absl::string_view. Debian's Abseil 20220623 does
// not alias them, so code that hands std::string_view to absl::StrCat & co. converts here.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace evermirror {

inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace evermirror
