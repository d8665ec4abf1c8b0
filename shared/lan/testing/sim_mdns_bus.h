// SimMdnsBus: a simulated multicast LAN for mDNS logic tests. Each host is an MdnsTransport with
// its own MdnsDispatcher; a multicast reaches every host (the sender too, like IP_MULTICAST_LOOP)
// after a latency, on a SimScheduler, with optional seeded loss. Not thread-safe: drive it from
// the test thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "shared/env/random.h"
#include "shared/env/testing/sim_scheduler.h"
#include "shared/lan/mdns_transport.h"

namespace evermirror::lan {

class SimMdnsBus {
 public:
  struct Sent {
    Ipv4Endpoint from;
    std::optional<Ipv4Endpoint> to;  // nullopt = multicast
    std::string datagram;
  };

  class Host final : public MdnsTransport {
   public:
    Host(SimMdnsBus* bus, uint32_t address) : bus_(bus), address_(address) {}
    void Send(std::string datagram, std::optional<Ipv4Endpoint> unicast_to) override;
    uint32_t local_address() const override { return address_; }
    MdnsDispatcher* dispatcher() { return &dispatcher_; }
    bool connected = true;  // false: sends and receives nothing (a host off the LAN)

   private:
    SimMdnsBus* const bus_;
    const uint32_t address_;
    MdnsDispatcher dispatcher_;
  };

  SimMdnsBus(env::SimScheduler* scheduler, uint64_t seed) : scheduler_(scheduler), random_(seed) {}

  // Adds a host with IPv4 `address` (host order); owned by the bus.
  Host* AddHost(uint32_t address);
  void set_latency(absl::Duration latency) { latency_ = latency; }
  // Probability in [0, 1] that one delivery (per receiving host) is lost.
  void set_loss(double loss) { loss_ = loss; }

  // Delivers raw bytes to every connected host as if `from` had multicast them.
  void Inject(const std::string& datagram, Ipv4Endpoint from);

  // Every datagram sent on the bus, in order.
  const std::vector<Sent>& sent() const { return sent_; }
  void clear_sent() { sent_.clear(); }

 private:
  void Transmit(Host* sender, std::string datagram, std::optional<Ipv4Endpoint> to);
  void DeliverLater(Host* host, std::string datagram, Ipv4Endpoint from);

  env::SimScheduler* const scheduler_;
  env::SeededRandom random_;
  absl::Duration latency_ = absl::Milliseconds(1);
  double loss_ = 0;
  std::vector<std::unique_ptr<Host>> hosts_;
  std::vector<Sent> sent_;
};

}  // namespace evermirror::lan
