#include "services/gateway/mhd_response.h"

#include <microhttpd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace evermirror::gateway {
namespace {

const char* PartData(const HttpResponse& response, const BodyPart& part) {
  const std::string_view bytes = part.source == BodyPart::Source::kOwned
                                     ? std::string_view(response.owned)
                                     : response.shared->bytes.view();
  return bytes.data() + part.offset;
}

void DeleteResponse(void* cls) { delete static_cast<HttpResponse*>(cls); }

// Streams a body with file parts; MHD asks for it in order, from `pos` 0 to the end.
struct Stream {
  HttpResponse response;
  RequestHandler* handler = nullptr;
  size_t chunk = 0;
  size_t part = 0;           // current part
  uint64_t part_start = 0;   // body position where it starts
  std::string buffer;        // bytes of the current file part from file offset buffer_offset
  uint64_t buffer_offset = 0;
};

ssize_t ReadStream(void* cls, uint64_t pos, char* buf, size_t max) {
  auto* s = static_cast<Stream*>(cls);
  while (s->part < s->response.parts.size() &&
         pos >= s->part_start + s->response.parts[s->part].length) {
    s->part_start += s->response.parts[s->part].length;
    ++s->part;
  }
  if (s->part >= s->response.parts.size()) return MHD_CONTENT_READER_END_OF_STREAM;
  const BodyPart& part = s->response.parts[s->part];
  const uint64_t in_part = pos - s->part_start;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(max, part.length - in_part));
  if (part.source != BodyPart::Source::kFile) {
    std::memcpy(buf, PartData(s->response, part) + in_part, n);
    return static_cast<ssize_t>(n);
  }
  const uint64_t file_pos = part.offset + in_part;
  if (file_pos < s->buffer_offset || file_pos >= s->buffer_offset + s->buffer.size()) {
    const uint64_t want = std::min<uint64_t>(s->chunk, part.length - in_part);
    s->buffer_offset = file_pos;
    if (!s->handler->ReadFilePart(s->response.file, file_pos, want, &s->buffer).ok() ||
        s->buffer.empty()) {
      return MHD_CONTENT_READER_END_WITH_ERROR;  // headers are out: abort the connection
    }
  }
  const size_t available = static_cast<size_t>(s->buffer_offset + s->buffer.size() - file_pos);
  const size_t m = std::min(n, available);
  std::memcpy(buf, s->buffer.data() + (file_pos - s->buffer_offset), m);
  return static_cast<ssize_t>(m);
}

void DeleteStream(void* cls) { delete static_cast<Stream*>(cls); }

MHD_Response* CreateBody(HttpResponse response, RequestHandler* handler, size_t chunk) {
  const uint64_t length = response.ContentLength();
  if (response.HasFileParts()) {
    auto* stream = new Stream;
    stream->response = std::move(response);
    stream->handler = handler;
    stream->chunk = chunk;
    const size_t block = std::min<size_t>(chunk, 64 * 1024);
    MHD_Response* r = MHD_create_response_from_callback(length, block, &ReadStream, stream,
                                                        &DeleteStream);
    if (r == nullptr) delete stream;
    return r;
  }
  // In-memory parts: move the response to the heap first, so pointers into it stay valid
  // until MHD releases the response.
  auto* held = new HttpResponse(std::move(response));
  MHD_Response* r;
  if (held->parts.size() <= 1) {
    const char* data = held->parts.empty() ? "" : PartData(*held, held->parts[0]);
    r = MHD_create_response_from_buffer_with_free_callback_cls(
        static_cast<size_t>(length), const_cast<char*>(data), &DeleteResponse, held);
  } else {
    std::vector<MHD_IoVec> iov;
    iov.reserve(held->parts.size());
    for (const BodyPart& part : held->parts) {
      iov.push_back({PartData(*held, part), static_cast<size_t>(part.length)});
    }
    r = MHD_create_response_from_iovec(iov.data(), static_cast<unsigned>(iov.size()),
                                       &DeleteResponse, held);
  }
  if (r == nullptr) delete held;
  return r;
}

}  // namespace

std::shared_ptr<void> PrepareMhdResponse(const HttpResponse& response) {
  const FileBytes& bytes = response.shared->bytes;
  MHD_Response* r;
  if (bytes.fd() >= 0) {
    // sendfile(2) from the memfd: the bytes are not copied into the socket.
    const int fd = dup(bytes.fd());
    if (fd < 0) return nullptr;
    r = MHD_create_response_from_fd_at_offset64(bytes.size(), fd, 0);
    if (r == nullptr) close(fd);
  } else {
    r = MHD_create_response_from_buffer(bytes.size(), const_cast<char*>(bytes.view().data()),
                                        MHD_RESPMEM_PERSISTENT);
  }
  if (r == nullptr) return nullptr;
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(r, name.c_str(), value.c_str());
  }
  return std::shared_ptr<void>(r, [](void* p) { MHD_destroy_response(static_cast<MHD_Response*>(p)); });
}

MHD_Response* ToMhdResponse(HttpResponse response, RequestHandler* handler,
                            size_t read_chunk_bytes) {
  auto headers = std::move(response.headers);
  const bool close = response.close;
  MHD_Response* r = CreateBody(std::move(response), handler, read_chunk_bytes);
  if (r == nullptr) return nullptr;
  for (const auto& [name, value] : headers) {
    MHD_add_response_header(r, name.c_str(), value.c_str());
  }
  if (close) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  return r;
}

}  // namespace evermirror::gateway
