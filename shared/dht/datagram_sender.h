// DatagramSender: the one seam through which DhtNode talks to the network. Implementations:
// UdpTransport (a real socket) and SimNetwork's per-node sender (tests, in one process).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "shared/dht/endpoint.h"

namespace evermirror::dht {

class DatagramSender {
 public:
  virtual ~DatagramSender() = default;
  // Sends one datagram to `to`, best effort (UDP: success does not mean delivery).
  // Unavailable/Internal when the local send fails. DhtNode calls this with its lock held,
  // so an implementation must never call back into the node synchronously. Thread-safe.
  virtual absl::Status Send(const Endpoint& to, std::string_view datagram) = 0;
};

}  // namespace evermirror::dht
