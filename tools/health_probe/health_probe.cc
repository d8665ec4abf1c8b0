// evermirror-health: a health probe for containers and scripts. Calls grpc.health.v1.Health/Check
// on one evermirror service and exits 0 when it answers SERVING, 1 otherwise, 2 on bad usage.
//   evermirror-health replicator                 the box default (127.0.0.1:7401; swarm 7402, ...)
//   evermirror-health 127.0.0.1:7403 --timeout=2s
//   evermirror-health unix:/run/evermirror/gateway.sock --service=evermirror.gateway.v1.GatewayAdmin
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "shared/rpc/client.h"

namespace {

// The box's admin addresses (services/cli/up_command.cc, docker/evermirror.toml).
const std::map<std::string_view, std::string_view> kBoxDefaults = {{"replicator", "127.0.0.1:7401"},
                                                                    {"swarm", "127.0.0.1:7402"},
                                                                    {"ingest", "127.0.0.1:7403"},
                                                                    {"gateway", "127.0.0.1:7404"}};

int Usage() {
  std::fputs(
      "usage: evermirror-health ADDRESS|SERVICE [--service=NAME] [--timeout=DURATION]\n"
      "  ADDRESS   host:port or unix:/path of a service's admin gRPC listener\n"
      "  SERVICE   replicator, swarm, ingest or gateway: its box default 127.0.0.1:740x\n"
      "  --service the gRPC service to ask about (default \"\": the whole server)\n"
      "  --timeout how long to wait for an answer (default 3s)\n"
      "Exit status: 0 SERVING, 1 not serving or unreachable, 2 bad usage.\n",
      stderr);
  return 2;
}

int Run(int argc, char** argv) {
  std::string address, service;
  absl::Duration timeout = absl::Seconds(3);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--service=")) {
      service = std::string(arg.substr(10));
    } else if (arg.starts_with("--timeout=")) {
      if (!absl::ParseDuration(std::string(arg.substr(10)), &timeout) || timeout <= absl::ZeroDuration()) return Usage();
    } else if (address.empty() && !arg.starts_with("-")) {
      auto known = kBoxDefaults.find(arg);
      address = std::string(known != kBoxDefaults.end() ? known->second : arg);
    } else {
      return Usage();
    }
  }
  if (address.empty()) return Usage();
  auto channel = evermirror::rpc::MakeChannel(address);
  if (!channel.ok()) {
    std::fprintf(stderr, "evermirror-health: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  const absl::Status status = evermirror::rpc::CheckHealth(*channel, service, timeout);
  if (!status.ok()) {
    std::fprintf(stderr, "evermirror-health: %s: %s\n", address.c_str(), status.ToString().c_str());
    return 1;
  }
  std::printf("%s: SERVING\n", address.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
