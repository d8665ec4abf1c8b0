// SimMdnsBus delivery: multicast to every connected host, unicast to the addressed one.
#include "shared/lan/testing/sim_mdns_bus.h"

#include <utility>

namespace evermirror::lan {

void SimMdnsBus::Host::Send(std::string datagram, std::optional<Ipv4Endpoint> unicast_to) {
  bus_->Transmit(this, std::move(datagram), unicast_to);
}

SimMdnsBus::Host* SimMdnsBus::AddHost(uint32_t address) {
  hosts_.push_back(std::make_unique<Host>(this, address));
  return hosts_.back().get();
}

void SimMdnsBus::Transmit(Host* sender, std::string datagram, std::optional<Ipv4Endpoint> to) {
  const Ipv4Endpoint from{sender->local_address(), kMdnsPort};
  sent_.push_back(Sent{from, to, datagram});
  if (!sender->connected) return;
  for (auto& host : hosts_) {
    if (to && (to->address != host->local_address() || to->port != kMdnsPort)) continue;
    DeliverLater(host.get(), datagram, from);
  }
}

void SimMdnsBus::Inject(const std::string& datagram, Ipv4Endpoint from) {
  for (auto& host : hosts_) DeliverLater(host.get(), datagram, from);
}

void SimMdnsBus::DeliverLater(Host* host, std::string datagram, Ipv4Endpoint from) {
  if (!host->connected) return;
  if (loss_ > 0 && static_cast<double>(random_.Uniform(1'000'000)) < loss_ * 1'000'000) return;
  scheduler_->RunAfter(latency_, [host, datagram = std::move(datagram), from] {
    if (host->connected) host->dispatcher()->Dispatch(datagram, from);
  });
}

}  // namespace evermirror::lan
