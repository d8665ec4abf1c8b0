// em_dht_cli: one real evermirror DhtNode on a UDP socket, driven by line commands on stdin,
// reporting on stdout. The interop tests run it beside reference DHT nodes (bittorrent-dht,
// libtorrent) inside a private network namespace. Not a production tool: no flags parsing
// beyond what the tests need, and it binds 127.0.0.1 unless told otherwise.
//
//   em_dht_cli [--bind=IP:PORT] [--bootstrap=IP:PORT]... [--state=PATH]
// Commands: bootstrap IP:PORT | addnode IP:PORT | announce HEX PORT | unannounce HEX |
//           lookup HEX | stats | save | quit
// Output:   listening IP:PORT, id HEX, peer HEX IP:PORT, lookup_done HEX peers=N responders=N,
//           stats key=value..., ok, error MESSAGE
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "shared/dht/dht_node.h"
#include "shared/dht/node_state.h"
#include "shared/dht/udp_transport.h"
#include "shared/env/posix_file_system.h"
#include "shared/env/scheduler.h"

namespace evermirror::dht {
namespace {

absl::Mutex g_out_mu;

void Say(const std::string& line) {
  absl::MutexLock lock(&g_out_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

struct Flags {
  Endpoint bind{0x7f000001, 0};
  std::vector<Endpoint> bootstrap;
  std::string state_path;
};

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](std::string_view name) { return arg.substr(name.size()); };
    if (arg.rfind("--bind=", 0) == 0) {
      absl::StatusOr<Endpoint> e = ParseEndpoint(value("--bind="), /*allow_port_zero=*/true);
      if (!e.ok()) return std::nullopt;
      flags.bind = *e;
    } else if (arg.rfind("--bootstrap=", 0) == 0) {
      absl::StatusOr<Endpoint> e = ParseEndpoint(value("--bootstrap="));
      if (!e.ok()) return std::nullopt;
      flags.bootstrap.push_back(*e);
    } else if (arg.rfind("--state=", 0) == 0) {
      flags.state_path = value("--state=");
    } else {
      return std::nullopt;
    }
  }
  return flags;
}

std::string StatsLine(const DhtStats& s) {
  std::ostringstream out;
  out << "stats table=" << s.table_size << " queries_in=" << s.queries_in[0] + s.queries_in[1] + s.queries_in[2] +
                                                                 s.queries_in[3]
      << " get_peers_in=" << s.queries_in[static_cast<int>(Method::kGetPeers)]
      << " announce_in=" << s.queries_in[static_cast<int>(Method::kAnnouncePeer)]
      << " announces_stored=" << s.announces_stored << " announces_sent=" << s.announces_sent
      << " announces_acked=" << s.announces_acked << " responses_in=" << s.responses_in
      << " errors_in=" << s.errors_in << " errors_out=" << s.errors_out << " malformed_in=" << s.malformed_in
      << " timeouts=" << s.timeouts << " stored_peers=" << s.stored_peers;
  return out.str();
}

// Runs one command; false on quit.
bool RunCommand(DhtNode& node, const Flags& flags, const std::string& line) {
  std::istringstream in(line);
  std::string cmd, a, b;
  in >> cmd >> a >> b;
  if (cmd == "quit") return false;
  if (cmd == "bootstrap" || cmd == "addnode") {
    absl::StatusOr<Endpoint> e = ParseEndpoint(a);
    if (!e.ok()) return Say("error " + std::string(e.status().message())), true;
    if (cmd == "bootstrap") node.Bootstrap({*e});
    if (cmd == "addnode") node.AddNode(*e);
  } else if (cmd == "announce" || cmd == "unannounce") {
    std::optional<NodeId> ih = NodeId::FromHex(a);
    if (!ih) return Say("error bad info_hash"), true;
    if (cmd == "unannounce") {
      node.Unannounce(*ih);
    } else if (absl::Status s = node.Announce(*ih, static_cast<uint16_t>(std::atoi(b.c_str()))); !s.ok()) {
      return Say("error " + std::string(s.message())), true;
    }
  } else if (cmd == "lookup") {
    std::optional<NodeId> ih = NodeId::FromHex(a);
    if (!ih) return Say("error bad info_hash"), true;
    const std::string hex = ih->ToHex();
    node.Lookup(
        *ih, [hex](const Endpoint& peer) { Say("peer " + hex + " " + peer.ToString()); },
        [hex](const LookupResult& r) {
          Say("lookup_done " + hex + " peers=" + std::to_string(r.peers) + " responders=" + std::to_string(r.responders));
        });
  } else if (cmd == "stats") {
    Say(StatsLine(node.stats()));
  } else if (cmd == "save") {
    if (flags.state_path.empty()) return Say("error no --state"), true;
    absl::Status s = SaveNodeState(*env::DefaultFileSystem(), flags.state_path, node.SaveState());
    if (!s.ok()) return Say("error " + std::string(s.message())), true;
  } else if (!cmd.empty()) {
    return Say("error unknown command " + cmd), true;
  }
  Say("ok");
  return true;
}

int Main(int argc, char** argv) {
  std::optional<Flags> flags = ParseFlags(argc, argv);
  if (!flags) {
    std::fprintf(stderr, "usage: em_dht_cli [--bind=IP:PORT] [--bootstrap=IP:PORT]... [--state=PATH]\n");
    return 2;
  }
  std::optional<NodeState> restored;
  if (!flags->state_path.empty()) {
    absl::StatusOr<NodeState> loaded = LoadNodeState(*env::DefaultFileSystem(), flags->state_path);
    if (loaded.ok()) restored = std::move(*loaded);
  }
  absl::StatusOr<std::unique_ptr<UdpTransport>> transport = UdpTransport::Bind(flags->bind);
  if (!transport.ok()) {
    std::fprintf(stderr, "em_dht_cli: %s\n", std::string(transport.status().message()).c_str());
    return 1;
  }
  env::ThreadScheduler scheduler;
  DhtOptions options;
  options.bootstrap = flags->bootstrap;
  // Reference nodes on one loopback address send bursts; the default per-IP limit would
  // treat the whole test network as one abusive host.
  options.rate_limit.rate_per_second = 1000;
  options.rate_limit.burst = 2000;
  auto node = std::make_unique<DhtNode>(
      options, DhtSeams{transport->get(), env::RealClock(), &scheduler, env::SystemRandom()}, std::move(restored));
  (*transport)->Start([&node](const Endpoint& from, std::string_view d) { node->OnDatagram(from, d); });
  Say("listening " + (*transport)->local_endpoint().ToString());
  Say("id " + node->id().ToHex());
  node->Start();
  std::string line;
  while (std::getline(std::cin, line) && RunCommand(*node, *flags, line)) {
  }
  (*transport)->Stop();
  node.reset();
  return 0;
}

}  // namespace
}  // namespace evermirror::dht

int main(int argc, char** argv) { return evermirror::dht::Main(argc, argv); }
