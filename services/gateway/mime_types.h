// Content-Type by file extension for files the gateway serves. Used by RequestHandler.
#pragma once

#include <string_view>

namespace evermirror::gateway {

// The media type for `path` by its extension (case-insensitive), with "; charset=utf-8" for
// text types; "application/octet-stream" for unknown or missing extensions. Thread-safe.
std::string_view MimeTypeForPath(std::string_view path);

}  // namespace evermirror::gateway
