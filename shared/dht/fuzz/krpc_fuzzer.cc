// libFuzzer target for the whole inbound path: a datagram of arbitrary bytes parsed as KRPC
// and fed to a live DhtNode (over SimNetwork) must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/dht/krpc.h"
#include "shared/dht/testing/sim_network.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evermirror;
  const std::string datagram(reinterpret_cast<const char*>(data), size);
  dht::Message msg;
  (void)dht::ParseMessage(datagram, 4096, &msg);

  env::SimClock clock;
  env::SimScheduler scheduler(&clock);
  dht::SimNetwork net(&clock, &scheduler, dht::SimNetworkOptions{});
  net.AddRawEndpoint(dht::Endpoint{0x7f090001, 1000}, [](const dht::Endpoint&, const std::string& reply) {
    dht::Message m;
    // Whatever the node answers must itself be valid KRPC.
    if (!dht::ParseMessage(reply, 65536, &m).ok()) __builtin_trap();
  });
  dht::DhtNode* node = net.AddNode(dht::DhtOptions());
  node->Start();
  net.Send(dht::Endpoint{0x7f090001, 1000}, net.endpoint(0), datagram);
  scheduler.AdvanceBy(absl::Seconds(5));
  return 0;
}
