// swarm_bench: the swarm service's figures, measured on the real evermirror-swarm binary
// inside a private network namespace (needs root; nothing leaves the namespace):
//   1. DHT: Join RPC -> first candidate over a 20-node local DHT (real UDP sockets), for a
//      freshly started process (its first join includes bootstrapping) and for a running one;
//   2. LAN: Join RPC -> first candidate over multicast DNS, a peer box in a second namespace
//      joined by a veth pair already being on the topic;
//   3. the process idle with 100 joined topics (DHT and LAN on): resident memory and CPU.
// Usage: swarm_bench --swarm=PATH [--idle_seconds=60] [--trials=7]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "shared/dht/dht_node.h"
#include "shared/dht/udp_transport.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"
#include "shared/lan/testing/netns.h"
#include "tests/swarm/swarm_harness.h"

namespace evermirror::swarm::bench {
namespace {

using testing::CandidateAt;
using testing::SwarmClient;
using testing::SwarmProcess;
namespace pb = ::evermirror::swarm::v1;

constexpr uint32_t kLoopback = 0x7f000001;

struct Flags {
  std::string swarm;
  int idle_seconds = 60;
  int trials = 7;
};

// One in-process DHT node on 127.0.0.1 (the 20-node network the swarm joins).
struct Node {
  std::unique_ptr<dht::UdpTransport> transport;
  std::unique_ptr<env::SeededRandom> random;
  std::unique_ptr<dht::DhtNode> node;
  ~Node() {
    if (transport) transport->Stop();
    node.reset();
  }
};

std::unique_ptr<Node> MakeNode(env::Scheduler* scheduler, uint64_t seed, std::vector<dht::Endpoint> bootstrap) {
  auto n = std::make_unique<Node>();
  n->transport = std::move(dht::UdpTransport::Bind(dht::Endpoint{kLoopback, 0}).value());
  n->random = std::make_unique<env::SeededRandom>(seed);
  dht::DhtOptions o;
  o.bootstrap = std::move(bootstrap);
  o.rate_limit.rate_per_second = 2000;  // every node shares 127.0.0.1
  o.rate_limit.burst = 4000;
  n->node = std::make_unique<dht::DhtNode>(o, dht::DhtSeams{n->transport.get(), env::RealClock(), scheduler, n->random.get()});
  dht::DhtNode* node = n->node.get();
  n->transport->Start([node](const dht::Endpoint& from, std::string_view d) { node->OnDatagram(from, d); });
  node->Start();
  return n;
}

template <typename Pred>
bool WaitFor(Pred pred, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!pred()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Distinct in their first 20 bytes (the DHT info_hash) and in their LAN names.
std::string Topic(int i) { return static_cast<char>(i) + std::string(31, '\x5e'); }

std::unique_ptr<SwarmProcess> StartSwarm(const Flags& flags, const std::string& name, std::vector<std::string> args,
                                         pid_t netns_of = 0) {
  testing::SwarmProcessOptions o;
  o.binary = flags.swarm;
  o.work_dir = testing::FreshDir(name);
  o.args = std::move(args);
  o.netns_of = netns_of;
  auto p = SwarmProcess::Start(o);
  if (!p.ok()) {
    std::fprintf(stderr, "swarm_bench: %s\n", std::string(p.status().message()).c_str());
    return nullptr;
  }
  return *std::move(p);
}

// Join -> first candidate of `topic` at host:port, in ms; -1 on timeout.
double TimeJoin(SwarmClient& client, const std::string& topic, const std::string& host, uint16_t port) {
  const absl::Time start = absl::Now();
  if (!client.Join(topic).ok()) return -1;
  auto at = CandidateAt(host, port);
  auto seen = client.WaitForCandidate([&](const pb::CandidateEvent& e) { return e.discovery_key() == topic && at(e); },
                                      absl::Seconds(30));
  return seen ? absl::ToDoubleMilliseconds(seen->at - start) : -1;
}

void PrintFigure(const std::string& what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  if (ms.empty() || ms.front() < 0) {
    std::printf("[figure] %s: FAILED (a join found no candidate)\n", what.c_str());
    return;
  }
  std::printf("[figure] %s, %zu joins: median %.1f ms, min %.1f ms, max %.1f ms\n", what.c_str(), ms.size(),
              ms[ms.size() / 2], ms.front(), ms.back());
  std::fflush(stdout);
}

// Process CPU time (user + system) in seconds and resident memory in KiB, from /proc.
struct Usage {
  double cpu_s = 0;
  long rss_kib = 0;
  long hwm_kib = 0;
};
Usage ReadUsage(pid_t pid) {
  Usage u;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  u.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) u.rss_kib = std::stol(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) u.hwm_kib = std::stol(line.substr(6));
  }
  return u;
}

// A running swarm process and a client with a synced watch; nullopt-like (empty) on failure.
struct Box {
  std::unique_ptr<SwarmProcess> process;
  std::unique_ptr<SwarmClient> client;
  explicit operator bool() const { return process && client; }
};
Box StartBox(const Flags& flags, const std::string& name, std::vector<std::string> args, pid_t netns_of = 0,
             bool watch = true) {
  Box box;
  box.process = StartSwarm(flags, name, std::move(args), netns_of);
  if (!box.process) return box;
  auto client = SwarmClient::Connect(box.process->admin_target());
  if (client.ok() && (!watch || (*client)->StartWatch().ok())) box.client = *std::move(client);
  return box;
}

// The 20-node DHT the swarm processes join; node 13 plays the peer: it announces port 5000+i for
// the bench topics. Empty on failure.
std::vector<std::unique_ptr<Node>> StartDht(env::Scheduler* scheduler, int topics) {
  std::vector<std::unique_ptr<Node>> nodes;
  nodes.push_back(MakeNode(scheduler, 1, {}));
  const dht::Endpoint via = nodes[0]->transport->local_endpoint();
  for (uint64_t i = 1; i < 20; ++i) {
    nodes.push_back(MakeNode(scheduler, i + 1, {via}));
    absl::SleepFor(absl::Milliseconds(20));  // a network that grew, not one born at once
  }
  auto formed = [&] {
    return std::all_of(nodes.begin(), nodes.end(), [](auto& n) { return n->node->stats().table_size >= 8; });
  };
  if (!WaitFor(formed, absl::Seconds(60))) return {};
  dht::DhtNode* announcer = nodes[13]->node.get();
  for (int i = 0; i < topics; ++i) (void)announcer->Announce(*dht::InfoHashFromDiscoveryKey(Topic(i)), 5000 + i);
  WaitFor([&] { return announcer->stats().announces_acked >= static_cast<uint64_t>(4 * topics); }, absl::Seconds(30));
  return nodes;
}

bool DhtFigures(const Flags& flags, const dht::Endpoint& via) {
  const std::vector<std::string> args = {"--lan_enabled=false", "--dht_address=127.0.0.1:0",
                                         "--dht_bootstrap=" + via.ToString(), "--dht_rate_limit=2000"};
  std::vector<double> cold, from_start, warm;
  for (int t = 0; t < flags.trials; ++t) {
    const absl::Time exec = absl::Now();
    Box box = StartBox(flags, absl::StrCat("cold", t), args);
    if (!box) return false;
    const absl::Time join = absl::Now();
    const double ms = TimeJoin(*box.client, Topic(t), "127.0.0.1", 5000 + t);
    cold.push_back(ms);
    from_start.push_back(ms < 0 ? -1 : ms + absl::ToDoubleMilliseconds(join - exec));
  }
  PrintFigure("DHT join -> first candidate, 20-node local DHT, freshly started evermirror-swarm", cold);
  PrintFigure("DHT process start (exec) -> first candidate, same runs (config, gRPC, DHT bootstrap, join)", from_start);
  Box box = StartBox(flags, "warm", args);
  if (!box) return false;
  WaitFor([&] { return box.client->DhtStatus()->routing_table_size() >= 8; }, absl::Seconds(30));
  for (int t = flags.trials; t < 2 * flags.trials; ++t) warm.push_back(TimeJoin(*box.client, Topic(t), "127.0.0.1", 5000 + t));
  PrintFigure("DHT join -> first candidate, 20-node local DHT, running evermirror-swarm (routing table full)", warm);
  return true;
}

// Box B (peer namespace) is on each topic before box A joins it.
bool LanFigure(const Flags& flags, pid_t peer_netns) {
  Box b = StartBox(flags, "lan_b", {"--dht_enabled=false", "--lan_interface=em-sb-b", "--announce_port=4402",
                                    "--dnssd_enabled=false"},
                   peer_netns, /*watch=*/false);
  Box a = StartBox(flags, "lan_a", {"--dht_enabled=false", "--lan_interface=em-sb-a", "--announce_port=4401",
                                    "--dnssd_enabled=false"});
  if (!a || !b) return false;
  std::vector<double> lan;
  for (int t = 0; t < flags.trials; ++t) {
    if (!b.client->Join(Topic(100 + t)).ok()) return false;
    absl::SleepFor(absl::Milliseconds(100));
    lan.push_back(TimeJoin(*a.client, Topic(100 + t), "169.254.84.2", 4402));
  }
  PrintFigure("LAN join -> first candidate, multicast DNS over a veth pair, peer already on the topic", lan);
  return true;
}

int TopicsWithPeers(SwarmClient& client) {
  grpc::ClientContext context;
  pb::ListTopicsResponse topics;
  if (!client.stub().ListTopics(&context, pb::ListTopicsRequest(), &topics).ok()) return -1;
  return static_cast<int>(std::count_if(topics.topics().begin(), topics.topics().end(),
                                        [](const pb::Topic& t) { return t.candidates() > 0; }));
}

// Idle with 100 topics, DHT and LAN both on (the box's normal configuration). Every topic has a
// peer on the DHT (announced beforehand), as mirrored sites usually do, so after the first
// round the lookups go to their 10-minute period.
bool IdleFigure(const Flags& flags, const dht::Endpoint& via, dht::DhtNode* announcer) {
  auto idle_topic = [](int t) { return static_cast<char>(t) + std::string(31, '\x33'); };
  for (int t = 0; t < 100; ++t) (void)announcer->Announce(*dht::InfoHashFromDiscoveryKey(idle_topic(t)), 6000 + t);
  absl::SleepFor(absl::Seconds(3));
  Box idle = StartBox(flags, "idle", {"--lan_interface=em-sb-a", "--dht_address=0.0.0.0:0",
                                      "--dht_bootstrap=" + via.ToString(), "--announce_port=4403"},
                      0, /*watch=*/false);
  if (!idle) return false;
  const Usage before_join = ReadUsage(idle.process->pid());
  for (int t = 0; t < 100; ++t) {
    if (!idle.client->Join(idle_topic(t)).ok()) return false;
  }
  absl::SleepFor(absl::Seconds(20));  // the join burst: first lookups, announces, LAN queries
  const Usage settled = ReadUsage(idle.process->pid());
  absl::SleepFor(absl::Seconds(flags.idle_seconds));
  const Usage after = ReadUsage(idle.process->pid());
  std::printf("[figure] idle with 100 joined topics (DHT + LAN on, %d topics with a peer): RSS %ld KiB (peak %ld KiB; "
              "%ld KiB before the joins), CPU %.3f%% of one core over %d s (join burst: %.2f CPU-s)\n",
              TopicsWithPeers(*idle.client), after.rss_kib, after.hwm_kib, before_join.rss_kib,
              100.0 * (after.cpu_s - settled.cpu_s) / flags.idle_seconds, flags.idle_seconds,
              settled.cpu_s - before_join.cpu_s);
  return true;
}

int Run(const Flags& flags) {
  if (!lan::testing::EnterPrivateNetns().ok()) {
    std::fprintf(stderr, "swarm_bench: needs root (it runs inside a private network namespace)\n");
    return 2;
  }
  env::ThreadScheduler scheduler;
  std::vector<std::unique_ptr<Node>> nodes = StartDht(&scheduler, 2 * flags.trials);
  if (nodes.empty()) {
    std::fprintf(stderr, "swarm_bench: the 20-node DHT did not form\n");
    return 1;
  }
  const dht::Endpoint via = nodes[0]->transport->local_endpoint();
  if (!DhtFigures(flags, via)) return 1;
  auto veth = lan::testing::VethPeer::Create("em-sb-a", "169.254.84.1/24", "em-sb-b", "169.254.84.2/24");
  if (!veth.ok() || !LanFigure(flags, (*veth)->holder_pid())) return 1;
  if (!IdleFigure(flags, via, nodes[13]->node.get())) return 1;
  return 0;
}

}  // namespace
}  // namespace evermirror::swarm::bench

int main(int argc, char** argv) {
  evermirror::swarm::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--swarm=", 0) == 0) flags.swarm = a.substr(8);
    if (a.rfind("--idle_seconds=", 0) == 0) (void)absl::SimpleAtoi(a.substr(15), &flags.idle_seconds);
    if (a.rfind("--trials=", 0) == 0) (void)absl::SimpleAtoi(a.substr(9), &flags.trials);
  }
  if (flags.swarm.empty() || flags.idle_seconds < 1 || flags.trials < 1 || flags.trials > 50) {
    std::fprintf(stderr, "usage: swarm_bench --swarm=PATH [--idle_seconds=60] [--trials=7]\n");
    return 2;
  }
  return evermirror::swarm::bench::Run(flags);
}
