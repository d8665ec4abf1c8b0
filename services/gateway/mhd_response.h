// Translation of an HttpResponse into a libmicrohttpd response: in-memory bodies are sent
// without copying (the response keeps the cache entry alive), bodies with file parts are
// streamed through RequestHandler::ReadFilePart in read_chunk_bytes pieces. Used by
// HttpServer only.
#pragma once

#include <cstddef>

#include "services/gateway/http_types.h"
#include "services/gateway/request_handler.h"

struct MHD_Response;

namespace evermirror::gateway {

// Creates the MHD response (caller queues and destroys it) or nullptr if MHD could not
// allocate one. Takes `response` over. `handler` must outlive the MHD response.
MHD_Response* ToMhdResponse(HttpResponse response, RequestHandler* handler, size_t read_chunk_bytes);

}  // namespace evermirror::gateway
