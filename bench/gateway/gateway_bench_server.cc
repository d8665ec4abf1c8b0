// Serves a 4 KiB and a 10 MiB file through the gateway's real HttpServer from the in-memory
// site source, and writes the same files to --dir for nginx. Prints "port=<n> key=<hex>" once
// listening; runs until stdin closes. Used by bench/gateway/run.sh.
//   gateway_bench_server --dir DIR [--threads N] [--connection-memory BYTES] [--no-cache-large]
// By default both files are cached (the 10 MiB one in a memfd, sent with sendfile);
// --no-cache-large streams the 10 MiB file from the source for every request instead.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "prometheus/registry.h"
#include "services/gateway/http_server.h"
#include "services/gateway/testing/mem_site_source.h"
#include "shared/base/hex.h"
#include "shared/base/logging.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"

namespace evermirror::gateway {
namespace {

std::string RandomBytes(env::Random& random, size_t n) {
  std::string out(n, '\0');
  random.Fill(out.data(), n);
  return out;
}

int Run(int argc, char** argv) {
  std::string dir;
  GatewayOptions options;
  options.port = 0;
  options.rate_limit_per_second = 0;  // one client address makes all the load
  options.max_connections_per_ip = options.max_connections;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--threads" && i + 1 < argc) {
      options.threads = std::stoi(argv[++i]);
    } else if (arg == "--connection-memory" && i + 1 < argc) {
      options.connection_memory_bytes = std::stoul(argv[++i]);
      options.max_header_bytes = std::min(options.max_header_bytes, options.connection_memory_bytes / 2);
    } else if (arg == "--no-cache-large") {
      options.cache_max_file_bytes = 1 << 20;
    } else {
      std::cerr << "usage: gateway_bench_server --dir DIR [--threads N] "
                   "[--connection-memory BYTES] [--no-cache-large]\n";
      return 2;
    }
  }
  if (dir.empty() || !options.Validate().ok()) {
    std::cerr << "need --dir; options: " << options.Validate() << "\n";
    return 2;
  }
  log::Configure(log::Level::kWarn, log::Format::kKeyValue, "gateway-bench");
  // Debian's Abseil runs Mutex deadlock detection (a global graph) on every lock by default.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  env::SeededRandom random(7);
  const std::string key = RandomBytes(random, 32);
  const std::map<std::string, std::string> files = {{"4k.bin", RandomBytes(random, 4096)},
                                                    {"10m.bin", RandomBytes(random, 10 << 20)}};
  for (const auto& [name, data] : files) {
    std::ofstream(dir + "/" + name, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  MemSiteSource source;
  source.AddSite(key, "bench");
  source.Publish(key, files);
  GatewayMetrics metrics(std::make_shared<prometheus::Registry>(), false);
  env::ThreadScheduler scheduler;
  RequestHandler handler(options, &source, env::RealClock(), &metrics);
  HttpServer server(options, &handler, &metrics, env::RealClock(), &scheduler);
  if (absl::Status started = server.Start(); !started.ok()) {
    std::cerr << started << "\n";
    return 1;
  }
  std::cout << "port=" << server.port() << " key=" << ToHex(key) << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server.Stop();
  return 0;
}

}  // namespace
}  // namespace evermirror::gateway

int main(int argc, char** argv) { return evermirror::gateway::Run(argc, argv); }
