// The mDNS UDP socket: interface resolution, group membership, and a poll()-based receive loop
// that an eventfd ends, so Stop() never waits on a blocking recv.
#include "shared/lan/mdns_socket.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"

namespace evermirror::lan {
namespace {

struct Interface {
  std::string name;
  int index = 0;
  uint32_t address = 0;  // host order
  unsigned flags = 0;
};

// Finds the interface named `spec`, holding the IPv4 address `spec`, or (for "auto") the first
// usable one.
absl::StatusOr<Interface> ResolveInterface(const std::string& spec) {
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return absl::UnavailableError(absl::StrCat("getifaddrs: ", strerror(errno)));
  const std::optional<uint32_t> wanted_address = ParseIpv4(spec);
  std::optional<Interface> found;
  for (struct ifaddrs* ifa = list; ifa != nullptr && !found; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_INET) continue;
    Interface i;
    i.name = ifa->ifa_name;
    i.flags = ifa->ifa_flags;
    i.address = ntohl(reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr)->sin_addr.s_addr);
    const bool usable = (i.flags & IFF_UP) && (i.flags & IFF_MULTICAST) && !(i.flags & IFF_LOOPBACK);
    if (spec == "auto" ? usable : (wanted_address ? *wanted_address == i.address : spec == i.name)) found = i;
  }
  freeifaddrs(list);
  if (!found) return absl::NotFoundError(absl::StrCat("mdns: no IPv4 interface matches '", spec, "'"));
  found->index = static_cast<int>(if_nametoindex(found->name.c_str()));
  if (found->index == 0) return absl::NotFoundError(absl::StrCat("mdns: no index for ", found->name));
  if (!(found->flags & IFF_UP) || !(found->flags & IFF_MULTICAST)) {
    return absl::FailedPreconditionError(absl::StrCat("mdns: interface ", found->name, " is down or not multicast"));
  }
  return *found;
}

absl::Status SetInt(int fd, int level, int option, int value, const char* what) {
  if (setsockopt(fd, level, option, &value, sizeof(value)) != 0) {
    return absl::UnavailableError(absl::StrCat("mdns: setsockopt ", what, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status Configure(int fd, const MdnsSocket::Options& options, const Interface& iface) {
  EM_RETURN_IF_ERROR(SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"));
  EM_RETURN_IF_ERROR(SetInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT"));
  // Bound to the device, the kernel's multicast early demux never hands this socket's packets to
  // (or takes them from) another 5353 socket on another interface; without it, a second mDNS
  // socket on `lo` made packets from the LAN go missing (seen in mdns_socket_test). Needs
  // CAP_NET_RAW before Linux 5.7; IP_PKTINFO filtering below still applies if it is refused.
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface.name.c_str(), iface.name.size()) != 0) {
    log::Warn("mdns_bindtodevice_refused").Kv("interface", iface.name).Kv("errno", errno);
  }
  sockaddr_in bind_addr{};
  bind_addr.sin_family = AF_INET;
  bind_addr.sin_port = htons(options.port);
  bind_addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&bind_addr), sizeof(bind_addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("mdns: bind port ", options.port, ": ", strerror(errno)));
  }
  // Only our own memberships count (the default also delivers groups other sockets joined).
  EM_RETURN_IF_ERROR(SetInt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL"));
  EM_RETURN_IF_ERROR(SetInt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO"));
  ip_mreqn mreq{};
  mreq.imr_multiaddr.s_addr = htonl(kMdnsGroup);
  mreq.imr_address.s_addr = htonl(iface.address);
  mreq.imr_ifindex = iface.index;
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
    return absl::UnavailableError(absl::StrCat("mdns: join group on ", iface.name, ": ", strerror(errno)));
  }
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) != 0) {
    return absl::UnavailableError(absl::StrCat("mdns: IP_MULTICAST_IF ", iface.name, ": ", strerror(errno)));
  }
  EM_RETURN_IF_ERROR(SetInt(fd, IPPROTO_IP, IP_MULTICAST_TTL, options.multicast_ttl, "IP_MULTICAST_TTL"));
  EM_RETURN_IF_ERROR(SetInt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, options.loopback ? 1 : 0, "IP_MULTICAST_LOOP"));
  return SetInt(fd, IPPROTO_IP, IP_TTL, 255, "IP_TTL");
}

}  // namespace

absl::Status MdnsSocket::Options::Validate() const {
  if (interface.empty()) {
    return absl::InvalidArgumentError("mdns: set the LAN interface (a name, an IPv4 address, or 'auto')");
  }
  if (port == 0) return absl::InvalidArgumentError("mdns: port must not be 0");
  if (multicast_ttl < 1 || multicast_ttl > 255) return absl::InvalidArgumentError("mdns: multicast_ttl must be 1..255");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MdnsSocket>> MdnsSocket::Open(const Options& options, MdnsDispatcher* dispatcher) {
  EM_RETURN_IF_ERROR(options.Validate());
  EM_ASSIGN_OR_RETURN(Interface iface, ResolveInterface(options.interface));
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("mdns: socket: ", strerror(errno)));
  absl::Status configured = Configure(fd, options, iface);
  const int wake_fd = configured.ok() ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
  if (!configured.ok() || wake_fd < 0) {
    close(fd);
    if (configured.ok()) return absl::UnavailableError(absl::StrCat("mdns: eventfd: ", strerror(errno)));
    return configured;
  }
  log::Info("mdns_socket_open").Kv("interface", iface.name).Kv("address", Ipv4ToString(iface.address));
  return std::unique_ptr<MdnsSocket>(
      new MdnsSocket(fd, wake_fd, iface.index, iface.name, iface.address, options.port, dispatcher));
}

MdnsSocket::MdnsSocket(int fd, int wake_fd, int ifindex, std::string ifname, uint32_t address, uint16_t port,
                       MdnsDispatcher* dispatcher)
    : fd_(fd), wake_fd_(wake_fd), ifindex_(ifindex), ifname_(std::move(ifname)), address_(address), port_(port),
      dispatcher_(dispatcher) {
  thread_ = std::thread([this] { ReceiveLoop(); });
}

MdnsSocket::~MdnsSocket() {
  Stop();
  close(wake_fd_);
  close(fd_);
}

void MdnsSocket::Stop() {
  if (stopped_.exchange(true)) return;
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) != sizeof(one)) {
    log::Error("mdns_stop_wake_failed").Kv("errno", errno);
  }
  thread_.join();
}

void MdnsSocket::Send(std::string datagram, std::optional<Ipv4Endpoint> unicast_to) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(unicast_to ? unicast_to->address : kMdnsGroup);
  to.sin_port = htons(unicast_to ? unicast_to->port : kMdnsPort);
  const ssize_t n = sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  if (n != static_cast<ssize_t>(datagram.size())) {
    send_errors_.fetch_add(1, std::memory_order_relaxed);
    log::Debug("mdns_send_failed").Kv("errno", errno);
  }
}

void MdnsSocket::ReceiveLoop() {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (true) {
    const int ready = poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      log::Error("mdns_poll_failed").Kv("errno", errno);
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents != 0) {
      while (ReceiveOne()) {
      }
    }
  }
}

// Reads one pending datagram; false when none is left.
bool MdnsSocket::ReceiveOne() {
  char buffer[kMaxDatagramSize + 1];
  char control[CMSG_SPACE(sizeof(in_pktinfo))];
  sockaddr_in from{};
  iovec iov{buffer, sizeof(buffer)};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
  if (n < 0) return errno == EINTR;
  int arrived_on = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      arrived_on = info.ipi_ifindex;
    }
  }
  if (arrived_on != ifindex_ || static_cast<size_t>(n) > kMaxDatagramSize || (msg.msg_flags & MSG_TRUNC)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  dispatcher_->Dispatch(std::string_view(buffer, static_cast<size_t>(n)),
                        Ipv4Endpoint{ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)});
  return true;
}

}  // namespace evermirror::lan
