#include "shared/metrics/metrics_server.h"

#include <arpa/inet.h>

#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "shared/base/status_macros.h"
#include "shared/config/address.h"

namespace evermirror::metrics {
namespace {

// civetweb's listening_ports takes numeric IPv4 only: Debian's build refuses IPv6 and
// does not resolve names.
absl::StatusOr<config::Address> NumericAddress(const config::Address& address) {
  if (address.kind != config::Address::Kind::kTcp) {
    return absl::InvalidArgumentError(absl::StrCat("metrics address ", address.ToString(), ": must be ip:port"));
  }
  config::Address numeric = address;
  if (absl::AsciiStrToLower(numeric.host) == "localhost") numeric.host = "127.0.0.1";
  in_addr v4;
  if (inet_pton(AF_INET, numeric.host.c_str(), &v4) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("metrics address ", address.ToString(),
                                                   ": use a numeric IPv4 address (127.0.0.1, 0.0.0.0)"));
  }
  return numeric;
}

}  // namespace

void DeclareMetricsOptions(config::Section& section, MetricsServerOptions* options) {
  section.Address("metrics_address", &options->listen_address,
                  "Where Prometheus scrapes /metrics (ip:port); empty turns it off.");
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, std::shared_ptr<ProcessCollector> process,
                             int port, std::string address)
    : exposer_(std::move(exposer)), process_(std::move(process)), port_(port), address_(std::move(address)) {}

MetricsServer::~MetricsServer() = default;

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const MetricsServerOptions& options,
                                                                    const Registry& registry) {
  if (options.listen_address.empty()) return absl::InvalidArgumentError("metrics address is empty");
  EM_ASSIGN_OR_RETURN(config::Address address, config::ParseAddress(options.listen_address));
  EM_ASSIGN_OR_RETURN(config::Address numeric, NumericAddress(address));
  const std::string spec = numeric.ToString();
  std::unique_ptr<prometheus::Exposer> exposer;
  auto process = std::make_shared<ProcessCollector>(registry.FullName("build_info"), EVERMIRROR_VERSION);
  try {
    exposer = std::make_unique<prometheus::Exposer>(spec, static_cast<size_t>(options.threads));
    exposer->RegisterCollectable(registry.prometheus_registry());
    exposer->RegisterCollectable(process);
  } catch (const std::exception& e) {
    // civetweb only says "null context ... binding to port": the usual cause is a taken port.
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", spec,
                                               " (address in use or not permitted?): ", e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) return absl::InternalError(absl::StrCat("metrics server on ", spec, " reports no port"));
  numeric.port = ports.front();
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(exposer), std::move(process), ports.front(), numeric.ToString()));
}

}  // namespace evermirror::metrics
