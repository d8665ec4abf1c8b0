// RawHttpClient: a blocking TCP client (loopback unless told otherwise) for the gateway's server tests. It writes
// arbitrary bytes (malformed, partial, pipelined requests) and parses HTTP/1.1 responses
// (Content-Length bodies only, which is all the gateway sends). Reads time out after
// 10 s so a broken server fails the test instead of hanging it. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace evermirror::gateway {

struct RawResponse {
  int status = 0;
  std::string status_line;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "<none>" : it->second;
  }
  bool Has(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
};

class RawHttpClient {
 public:
  explicit RawHttpClient(uint16_t port);
  // Connects to `ipv4`:`port` (dotted quad), e.g. a gateway in another test network namespace.
  RawHttpClient(const std::string& ipv4, uint16_t port);
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Writes all of `bytes`; false if the peer closed.
  bool Send(std::string_view bytes);
  // Reads one response. `head_only`: the request was HEAD, so no body follows.
  // nullopt on end of stream, reset or timeout before a complete response.
  std::optional<RawResponse> Read(bool head_only = false);
  // True once the server closed the connection (reads EOF or reset) with no bytes pending.
  bool WaitClosed();
  void ShutdownWrite();

 private:
  bool Fill();  // reads more into buffer_; false on EOF/error/timeout

  int fd_ = -1;
  bool timed_out_ = false;
  std::string buffer_;
};

}  // namespace evermirror::gateway
