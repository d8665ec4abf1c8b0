#include "services/gateway/testing/raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace evermirror::gateway {

RawHttpClient::RawHttpClient(uint16_t port) : RawHttpClient("127.0.0.1", port) {}

RawHttpClient::RawHttpClient(const std::string& ipv4, uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval timeout{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawHttpClient::~RawHttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawHttpClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void RawHttpClient::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

bool RawHttpClient::Fill() {
  char chunk[65536];
  const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) {
    timed_out_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    return false;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<RawResponse> RawHttpClient::Read(bool head_only) {
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return std::nullopt;
  }
  RawResponse response;
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  response.status_line = head.substr(0, line_end);
  if (response.status_line.size() < 12) return std::nullopt;
  response.status = std::atoi(response.status_line.c_str() + 9);
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos
                                                                               : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
  }
  const size_t length =
      head_only || !response.Has("content-length")
          ? 0
          : static_cast<size_t>(std::strtoull(response.Header("content-length").c_str(), nullptr, 10));
  while (buffer_.size() < length) {
    if (!Fill()) return std::nullopt;
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

bool RawHttpClient::WaitClosed() {
  while (Fill()) {
  }
  return !timed_out_ && buffer_.empty();
}

}  // namespace evermirror::gateway
