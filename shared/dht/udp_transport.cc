#include "shared/dht/udp_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace evermirror::dht {
namespace {

absl::Status ErrnoStatus(std::string_view what, int err) {
  return absl::UnavailableError(absl::StrCat("udp: ", std::string(what), ": ", std::strerror(err)));
}

sockaddr_in ToSockaddr(const Endpoint& e) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(e.ip);
  sa.sin_port = htons(e.port);
  return sa;
}

// Receive buffer: bigger than any datagram DhtNode accepts, so oversize ones are seen whole
// (and rejected by size) rather than silently truncated.
constexpr size_t kReceiveBuffer = 65536;

}  // namespace

absl::StatusOr<std::unique_ptr<UdpTransport>> UdpTransport::Bind(const Endpoint& local) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  sockaddr_in sa = ToSockaddr(local);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(absl::StrCat("bind ", local.ToString()), err);
  }
  socklen_t len = sizeof(sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("pipe2", err);
  }
  const Endpoint bound{ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port)};
  return std::unique_ptr<UdpTransport>(new UdpTransport(fd, pipe_fds[0], pipe_fds[1], bound));
}

UdpTransport::UdpTransport(int fd, int wake_read, int wake_write, const Endpoint& local)
    : fd_(fd), wake_read_(wake_read), wake_write_(wake_write), local_(local) {}

UdpTransport::~UdpTransport() {
  Stop();
  ::close(fd_);
  ::close(wake_read_);
  ::close(wake_write_);
}

void UdpTransport::Start(Receiver receiver) {
  receiver_ = std::move(receiver);
  thread_ = std::thread([this] { Loop(); });
}

void UdpTransport::Stop() {
  stopping_ = true;
  const char byte = 1;
  // A full pipe already holds a wake-up: the result does not matter.
  [[maybe_unused]] ssize_t n = ::write(wake_write_, &byte, 1);
  if (thread_.joinable()) thread_.join();
}

absl::Status UdpTransport::Send(const Endpoint& to, std::string_view datagram) {
  sockaddr_in sa = ToSockaddr(to);
  const ssize_t n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL,
                             reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  if (n < 0) return ErrnoStatus(absl::StrCat("sendto ", to.ToString()), errno);
  return absl::OkStatus();
}

void UdpTransport::Loop() {
  std::string buffer(kReceiveBuffer, '\0');
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
  while (!stopping_) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;  // EFAULT/EINVAL/ENOMEM: nothing sane to retry
    }
    if (fds[1].revents != 0 || stopping_) return;
    // Drain what is queued, then poll again.
    while (!stopping_) {
      sockaddr_in sa{};
      socklen_t len = sizeof(sa);
      const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&sa), &len);
      if (n < 0) break;  // EAGAIN, or an ICMP error surfaced as ECONNREFUSED: poll again
      ++received_;
      receiver_(Endpoint{ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port)},
                std::string_view(buffer.data(), static_cast<size_t>(n)));
    }
  }
}

}  // namespace evermirror::dht
