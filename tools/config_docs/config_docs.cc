// evermirror-config-docs: prints the box configuration reference (docs/configuration.md) built
// from each service's own option declarations, so the page lists exactly what the loaders read.
//   evermirror-config-docs                      the Markdown on stdout
//   evermirror-config-docs --write FILE         (re)writes FILE
//   evermirror-config-docs --check FILE         exit 1 with a diff hint when FILE is stale
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "services/gateway/gateway_config.h"
#include "services/ingest/ingest_options.h"
#include "services/replicator/replicator_options.h"
#include "services/swarm/swarm_config.h"
#include "shared/config/service_config.h"

namespace evermirror {
namespace {

// Appended after the generated tables: where to go next. Kept here so the check covers it.
constexpr char kFooter[] = R"(
## Where to start

- `docker/evermirror.toml` is a complete box file for a Raspberry Pi (or a VPS) running
  `docker/compose.yaml`; `evermirror up` writes a loopback-only one on first start.
- Every service prints this reference for its own sections with `evermirror-<service> --help`.
- The box's fixed ports: admin gRPC 7401 replicator, 7402 swarm, 7403 ingest, 7404 gateway
  (loopback); metrics 9401..9404 (loopback); gateway HTTP 8080; replicator peers TCP 3282;
  swarm DHT UDP 6881. Administration: `docs/admin.md`.
- Regenerate this page after changing an option: `build/tools/config_docs/evermirror-config-docs
  --write docs/configuration.md` (the `config_docs_fresh` test fails while it is stale).
)";

std::string Reference() {
  replicator::ServiceOptions replicator_options;
  swarm::ServiceOptions swarm_options;
  ingest::ServiceOptions ingest_options;
  gateway::GatewayServiceOptions gateway_options;
  config::ServiceConfig replicator("replicator", "Feed storage and the Dat replication wire.");
  config::ServiceConfig swarm("swarm", "Peer discovery: mainline DHT, LAN multicast DNS, static peers.");
  config::ServiceConfig ingest("ingest", "Follows trusted command logs, applies commands, writes receipts.");
  config::ServiceConfig gateway("gateway", "Serves mirrored sites over HTTP from verified data.");
  replicator::DeclareOptions(replicator.section(), &replicator_options);
  swarm::DeclareOptions(swarm.section(), &swarm_options);
  ingest::DeclareOptions(ingest.section(), &ingest_options);
  gateway::DeclareOptions(gateway.section(), &gateway_options);
  return config::GenerateBoxMarkdown({&replicator, &swarm, &ingest, &gateway}) + kFooter;
}

int Run(int argc, char** argv) {
  const std::string text = Reference();
  if (argc == 1) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (argc != 3) {
    std::fputs("usage: evermirror-config-docs [--write FILE | --check FILE]\n", stderr);
    return 2;
  }
  const std::string_view mode = argv[1];
  const std::string path = argv[2];
  if (mode == "--write") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "evermirror-config-docs: cannot write %s\n", path.c_str());
      return 1;
    }
    return 0;
  }
  if (mode != "--check") {
    std::fputs("usage: evermirror-config-docs [--write FILE | --check FILE]\n", stderr);
    return 2;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream current;
  current << in.rdbuf();
  if (in && current.str() == text) return 0;
  std::fprintf(stderr,
               "%s is stale: it does not match the options the services declare.\n"
               "Regenerate it with: evermirror-config-docs --write %s\n",
               path.c_str(), path.c_str());
  return 1;
}

}  // namespace
}  // namespace evermirror

int main(int argc, char** argv) { return evermirror::Run(argc, argv); }
