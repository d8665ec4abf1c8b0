// MdnsSocket: the real multicast DNS socket (224.0.0.251:5353, IPv4) on one configured LAN
// interface, with its own receive thread feeding an MdnsDispatcher. The production MdnsTransport
// for DatLanDiscovery and DnsSdResponder; tests use SimMdnsBus, or this inside a test-made
// network namespace only (PROTOCOLS.md §5).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "shared/lan/mdns_transport.h"

namespace evermirror::lan {

class MdnsSocket final : public MdnsTransport {
 public:
  struct Options {
    // The LAN interface: a name ("eth0") or one of its IPv4 addresses ("192.168.1.5"); "auto"
    // picks the first interface that is up, multicast-capable, not loopback and has IPv4.
    // Required: multicast is never sent on an interface nobody chose.
    std::string interface;
    uint16_t port = kMdnsPort;  // bound with SO_REUSEADDR/SO_REUSEPORT (Avahi may hold it too)
    int multicast_ttl = 255;    // RFC 6762 §11
    bool loopback = true;       // other mDNS stacks on this host hear us (and we hear ourselves)

    // InvalidArgument for an empty interface, port 0 or a TTL outside 1..255.
    absl::Status Validate() const;
  };

  // Resolves the interface, binds, joins the group on it and starts the receive thread, which
  // calls `dispatcher->Dispatch` for every datagram that arrived on that interface.
  // InvalidArgument for bad options; NotFound if the interface does not exist or lacks IPv4;
  // FailedPrecondition if it is down or not multicast-capable; Unavailable for socket errors.
  // `dispatcher` must outlive the socket.
  static absl::StatusOr<std::unique_ptr<MdnsSocket>> Open(const Options& options, MdnsDispatcher* dispatcher);

  ~MdnsSocket() override;  // Stop(), then closes the socket
  MdnsSocket(const MdnsSocket&) = delete;
  MdnsSocket& operator=(const MdnsSocket&) = delete;

  // Stops and joins the receive thread; no Dispatch call runs after it returns. Idempotent.
  // Send keeps working. REQUIRES: not called from the receive thread.
  void Stop();

  // Thread-safe. Errors are counted in send_errors_total().
  void Send(std::string datagram, std::optional<Ipv4Endpoint> unicast_to) override;
  uint32_t local_address() const override { return address_; }

  int interface_index() const { return ifindex_; }
  const std::string& interface_name() const { return ifname_; }
  uint16_t bound_port() const { return port_; }
  uint64_t send_errors_total() const { return send_errors_.load(std::memory_order_relaxed); }
  // Datagrams that arrived on another interface, or larger than kMaxDatagramSize.
  uint64_t foreign_or_oversized_total() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  MdnsSocket(int fd, int wake_fd, int ifindex, std::string ifname, uint32_t address, uint16_t port,
             MdnsDispatcher* dispatcher);
  void ReceiveLoop();
  bool ReceiveOne();

  const int fd_;
  const int wake_fd_;  // eventfd that ends the receive loop
  const int ifindex_;
  const std::string ifname_;
  const uint32_t address_;
  const uint16_t port_;
  MdnsDispatcher* const dispatcher_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> send_errors_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace evermirror::lan
