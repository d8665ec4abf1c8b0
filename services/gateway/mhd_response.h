// Translation of an HttpResponse into a libmicrohttpd response: in-memory bodies are sent
// without copying (the response keeps the cache entry alive), bodies with file parts are
// streamed through RequestHandler::ReadFilePart in read_chunk_bytes pieces. Used by
// HttpServer only.
#pragma once

#include <cstddef>
#include <memory>

#include "services/gateway/http_types.h"
#include "services/gateway/request_handler.h"

struct MHD_Response;

namespace evermirror::gateway {

// Creates the MHD response (caller queues and destroys it) or nullptr if MHD could not
// allocate one. Takes `response` over. `handler` must outlive the MHD response.
MHD_Response* ToMhdResponse(HttpResponse response, RequestHandler* handler, size_t read_chunk_bytes);

// A reusable MHD response for a plain 200 of the whole cached file `response.shared`, with
// `response.headers`; it points into the file's bytes without copying, so whoever queues it
// must keep `response.shared` alive until the request completes. nullptr on allocation
// failure. The returned pointer destroys the MHD response when released.
std::shared_ptr<void> PrepareMhdResponse(const HttpResponse& response);

}  // namespace evermirror::gateway
