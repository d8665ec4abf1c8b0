// The narrow seams between mDNS protocol logic and the network: a transport that sends
// datagrams (MdnsSocket in production, SimMdnsBus in tests) and a dispatcher that decodes each
// received datagram once and hands it to the protocol handlers (DatLanDiscovery, DnsSdResponder).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "shared/lan/dns_message.h"

namespace evermirror::lan {

inline constexpr uint16_t kMdnsPort = 5353;
inline constexpr uint32_t kMdnsGroup = 0xE00000FB;  // 224.0.0.251

// An IPv4 address (host byte order) and UDP/TCP port.
struct Ipv4Endpoint {
  uint32_t address = 0;
  uint16_t port = 0;

  std::string ToString() const;  // "a.b.c.d:port"
  bool operator==(const Ipv4Endpoint& other) const = default;
  auto operator<=>(const Ipv4Endpoint& other) const = default;
};

// "a.b.c.d" (host order) and back; nullopt unless exactly four decimal octets 0-255.
std::string Ipv4ToString(uint32_t address);
std::optional<uint32_t> ParseIpv4(std::string_view text);

// Sends mDNS datagrams. Implementations are thread-safe; Send never blocks for long.
class MdnsTransport {
 public:
  virtual ~MdnsTransport() = default;
  // Sends `datagram` to the mDNS group (224.0.0.251:5353) when `unicast_to` is nullopt, else to
  // that endpoint. Failures are counted by the transport, not reported: mDNS is best effort.
  virtual void Send(std::string datagram, std::optional<Ipv4Endpoint> unicast_to) = 0;
  // The IPv4 address of the interface this transport uses, or 0 if unknown.
  virtual uint32_t local_address() const = 0;
};

// A handler of decoded mDNS messages.
class MdnsHandler {
 public:
  virtual ~MdnsHandler() = default;
  // Called for every well-formed datagram, from the transport's receive thread (or the test's
  // thread with SimMdnsBus). `from` is the sender's address and source port.
  virtual void OnMdnsMessage(const DnsMessage& message, const Ipv4Endpoint& from) = 0;
};

// Decodes datagrams and fans them out to handlers. Malformed datagrams are dropped and
// counted. Thread-safe; handlers must outlive their registration.
class MdnsDispatcher {
 public:
  void AddHandler(MdnsHandler* handler) ABSL_LOCKS_EXCLUDED(mu_);
  // Removes `handler`; after return it is no longer called (waits for a call in progress).
  // REQUIRES: not called from within a handler's OnMdnsMessage (it would deadlock).
  void RemoveHandler(MdnsHandler* handler) ABSL_LOCKS_EXCLUDED(mu_);

  // Decodes `datagram` and calls every handler. Returns false if it was malformed.
  bool Dispatch(std::string_view datagram, const Ipv4Endpoint& from) ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t malformed_total() const { return malformed_.load(std::memory_order_relaxed); }
  uint64_t received_total() const { return received_.load(std::memory_order_relaxed); }

 private:
  absl::Mutex mu_;  // held shared while dispatching, exclusively to change handlers
  std::vector<MdnsHandler*> handlers_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> malformed_{0};
  std::atomic<uint64_t> received_{0};
};

}  // namespace evermirror::lan
