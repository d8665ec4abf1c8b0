// libFuzzer target: DecodeDnsMessage on arbitrary bytes must fail cleanly or round-trip through
// EncodeDnsMessage (with and without compression); and the protocol handlers must survive any
// message, in any state.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "shared/base/logging.h"
#include "shared/env/random.h"
#include "shared/env/testing/sim_scheduler.h"
#include "shared/lan/dat_lan_discovery.h"
#include "shared/lan/dns_message.h"
#include "shared/lan/dns_sd_responder.h"

namespace {

using namespace evermirror;        // NOLINT: a fuzz driver
using namespace evermirror::lan;   // NOLINT

class NullTransport final : public MdnsTransport {
 public:
  void Send(std::string datagram, std::optional<Ipv4Endpoint>) override {
    // Whatever the handlers send must itself decode.
    if (!DecodeDnsMessage(datagram).ok()) abort();
  }
  uint32_t local_address() const override { return 0xA9FE0001; }
};

void CheckRoundTrip(const DnsMessage& m) {
  for (bool compress : {false, true}) {
    absl::StatusOr<std::string> wire = EncodeDnsMessage(m, compress);
    // Every field of a decoded message is within the encoder's limits; only the total size may
    // not be, as the input may compress better (or into raw rdata we never point into).
    if (!wire.ok()) {
      if (absl::StrContains(wire.status().message(), "datagram limit")) continue;
      abort();
    }
    absl::StatusOr<DnsMessage> back = DecodeDnsMessage(*wire);
    if (!back.ok() || !(*back == m)) abort();
  }
}

void FeedHandlers(const DnsMessage& m, uint16_t port) {
  env::SimClock clock;
  env::SimScheduler scheduler(&clock);
  env::SeededRandom random(1);
  NullTransport transport;
  DatLanDiscovery discovery({}, &transport, &clock, &scheduler, &random, [](const LanPeerCandidate&) {});
  DnsSdResponder::Options options;
  options.port = 8080;
  DnsSdResponder responder(options, &transport, &clock, &scheduler, &random);
  (void)discovery.Join(std::string(20, '\x11'), 3282);
  responder.Start();
  const Ipv4Endpoint from{0xA9FE0002, port};
  discovery.OnMdnsMessage(m, from);
  responder.OnMdnsMessage(m, from);  // while probing
  scheduler.AdvanceBy(absl::Seconds(3));
  responder.OnMdnsMessage(m, from);  // announced
  discovery.OnMdnsMessage(m, from);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::Configure(log::Level::kError, log::Format::kKeyValue, "fuzz");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint16_t port = (data[0] & 1) ? kMdnsPort : 40000;
  const std::string_view datagram(reinterpret_cast<const char*>(data) + 1, size - 1);
  absl::StatusOr<DnsMessage> m = DecodeDnsMessage(datagram);
  if (!m.ok()) return 0;
  CheckRoundTrip(*m);
  FeedHandlers(*m, port);
  return 0;
}
