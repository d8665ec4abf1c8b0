#include "services/cli/up_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "services/cli/args.h"
#include "services/cli/keep_here.h"
#include "services/cli/supervisor.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"
#include "shared/env/posix_file_system.h"
#include "shared/rpc/signals.h"

namespace evermirror::cli {
namespace {

constexpr const char* kServices[] = {"replicator", "swarm", "ingest", "gateway"};

// The configuration `up` writes on first start: everything on loopback, so a first try never
// talks to the network. A box that should be reachable edits it (see docs/configuration.md).
constexpr char kDefaultConfig[] = R"(# Written by `evermirror up` on first start; edit freely (docs/configuration.md lists
# every option). As written, everything listens on loopback only.
[box]
name = "evermirror"
data_dir = "{data}"

[log]
level = "info"

[replicator]
# On an always-on box: "0.0.0.0:3282", so peers can reach it.
peer_address = "127.0.0.1:{peer_port}"

[swarm]
# The DHT needs bootstrap nodes to join (none is built in): add dht_bootstrap = ["host:port"].
dht_address = "127.0.0.1:0"
# LAN discovery by multicast DNS: set lan_enabled = true and lan_interface = "eth0".
lan_enabled = false
dnssd_enabled = false

[gateway]
http_address = "127.0.0.1"
http_port = {http_port}
# Sites are also served at http://<alias>.localhost:{http_port}/ (browsers resolve *.localhost).
domain = "localhost"
)";

struct UpOptions {
  std::string data;
  std::string config;
  std::string bin_dir;
  std::string demo_site;
  int port_base = 7400;  // admin gRPC: +1 replicator, +2 swarm, +3 ingest, +4 gateway; metrics +2000
  int http_port = 8080;
  int peer_port = 3282;
};

std::string HomeDir() {
  if (const char* home = std::getenv("EVERMIRROR_HOME"); home != nullptr && *home) return home;
  const char* user_home = std::getenv("HOME");
  return absl::StrCat(user_home != nullptr ? user_home : "/tmp", "/.evermirror");
}

std::string SelfDir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? env::DirName(std::string(buf, static_cast<size_t>(n))) : ".";
}

// The service binary: in --bin-dir, beside this binary, or in a build tree next to it.
absl::StatusOr<std::string> FindBinary(const UpOptions& o, const std::string& service) {
  const std::string name = absl::StrCat("evermirror-", service);
  std::vector<std::string> candidates;
  if (!o.bin_dir.empty()) candidates.push_back(env::JoinPath(o.bin_dir, name));
  candidates.push_back(env::JoinPath(SelfDir(), name));
  candidates.push_back(absl::StrCat(SelfDir(), "/../", service, "/", name));
  for (const std::string& path : candidates) {
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return absl::NotFoundError(absl::StrCat("cannot find ", name, " (looked in: ", absl::StrJoin(candidates, ", "),
                                          "); pass --bin-dir"));
}

std::string FindDemoSite(const UpOptions& o) {
  if (!o.demo_site.empty()) return o.demo_site;
  for (const std::string& dir : {absl::StrCat(SelfDir(), "/../../../examples/site"),
                                 std::string("/usr/share/evermirror/examples/site")}) {
    if (env::DefaultFileSystem()->Exists(env::JoinPath(dir, "index.html"))) return dir;
  }
  return "";
}

std::string AdminAddress(const UpOptions& o, int index) { return absl::StrCat("127.0.0.1:", o.port_base + index); }
std::string MetricsAddress(const UpOptions& o, int index) {
  return absl::StrCat("127.0.0.1:", o.port_base + 2000 + index);
}

absl::StatusOr<std::string> EnsureConfig(const UpOptions& o) {
  if (!o.config.empty()) return o.config;
  env::FileSystem& fs = *env::DefaultFileSystem();
  const std::string path = env::JoinPath(o.data, "evermirror.toml");
  if (fs.Exists(path)) return path;
  const std::string text = absl::StrReplaceAll(
      kDefaultConfig,
      {{"{data}", o.data}, {"{http_port}", absl::StrCat(o.http_port)}, {"{peer_port}", absl::StrCat(o.peer_port)}});
  EM_RETURN_IF_ERROR(env::WriteFileAtomic(fs, path, text, 0644));
  return path;
}

absl::StatusOr<std::vector<ServiceSpec>> Specs(const UpOptions& o, const std::string& config) {
  std::vector<ServiceSpec> specs;
  for (int i = 0; i < 4; ++i) {
    const std::string service = kServices[i];
    EM_ASSIGN_OR_RETURN(std::string binary, FindBinary(o, service));
    // Each service finds the others at the admin addresses `up` assigns.
    std::vector<std::string> argv = {binary, "--config=" + config, "--admin_address=" + AdminAddress(o, i + 1),
                                     "--metrics_address=" + MetricsAddress(o, i + 1)};
    if (service == "replicator") argv.push_back("--swarm_address=" + AdminAddress(o, 2));
    if (service == "ingest") {
      argv.push_back("--replicator_address=" + AdminAddress(o, 1));
      argv.push_back("--swarm_address=" + AdminAddress(o, 2));
      argv.push_back("--gateway_address=" + AdminAddress(o, 4));
    }
    if (service == "gateway") argv.push_back("--replicator_address=" + AdminAddress(o, 1));
    specs.push_back({service, argv, env::JoinPath(o.data, absl::StrCat("logs/", service, ".log")), AdminAddress(o, i + 1)});
  }
  return specs;
}

// Creates (once) and publishes the demo site through the replicator; returns its key.
absl::StatusOr<crypto::PublicKey> PublishDemo(const UpOptions& o, const std::string& site) {
  EM_ASSIGN_OR_RETURN(auto client, replicator::ReplicatorClient::Connect(AdminAddress(o, 1)));
  env::FileSystem& fs = *env::DefaultFileSystem();
  const std::string key_file = env::JoinPath(o.data, "demo-site.key");
  std::optional<crypto::PublicKey> key;
  if (absl::StatusOr<std::string> saved = env::ReadFile(fs, key_file, 256); saved.ok()) {
    absl::StatusOr<crypto::PublicKey> parsed = crypto::ParsePublicKeyText(std::string(absl::StripAsciiWhitespace(*saved)));
    if (parsed.ok() && client->GetFeed(*parsed).ok()) key = *parsed;
  }
  if (!key.has_value()) {
    EM_ASSIGN_OR_RETURN(replicator::v1::FeedStatus created, client->CreateFeed(replicator::v1::KIND_HYPERDRIVE));
    EM_ASSIGN_OR_RETURN(key, crypto::ParsePublicKeyText(created.key()));
    EM_RETURN_IF_ERROR(env::WriteFileAtomic(fs, key_file, crypto::KeyHex(*key) + "\n", 0644));
  }
  char resolved[4096];
  if (::realpath(site.c_str(), resolved) == nullptr) return absl::NotFoundError(absl::StrCat(site, ": no such folder"));
  EM_ASSIGN_OR_RETURN(replicator::v1::PublishReport report, client->PublishFolder(*key, resolved, nullptr));
  std::printf("published %s: version %llu (%d added, %d modified, %d deleted)\n", resolved,
              static_cast<unsigned long long>(report.version_after()), report.added_size(), report.modified_size(),
              report.deleted_size());
  return *key;
}

constexpr char kDemoAlias[] = "example";

// Names the demo site "example" (see keep_here.h). Once per data directory; ingest answers
// Unavailable until its logs are open, so that is retried.
absl::Status AliasDemo(const UpOptions& o, const crypto::PublicKey& key) {
  IngestClient ingest(AdminAddress(o, 3));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::Status status = KeepHere(ingest, crypto::KeyHex(key), kDemoAlias);
    if (!absl::IsUnavailable(status) || absl::Now() > deadline) return status;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

void PrintEndpoints(const UpOptions& o, const std::optional<crypto::PublicKey>& site, bool aliased) {
  std::printf("\nevermirror is up (data and logs in %s)\n", o.data.c_str());
  if (site.has_value()) std::printf("  example site  http://127.0.0.1:%d/%s/\n", o.http_port, crypto::KeyHex(*site).c_str());
  if (aliased) std::printf("                http://%s.localhost:%d/\n", kDemoAlias, o.http_port);
  std::printf("  gateway       http://127.0.0.1:%d/\n", o.http_port);
  for (int i = 0; i < 4; ++i) {
    std::printf("  %-12s  admin (gRPC, reflection) %s   metrics http://%s/metrics\n", kServices[i],
                AdminAddress(o, i + 1).c_str(), MetricsAddress(o, i + 1).c_str());
  }
  std::printf("  replication   peers connect to 127.0.0.1:%d\nPress Ctrl-C to stop.\n", o.peer_port);
  std::fflush(stdout);
}

absl::StatusOr<UpOptions> ParseUp(int argc, char** argv) {
  EM_ASSIGN_OR_RETURN(Args args, Args::Parse(argc, argv, 2,
                                             {"data", "config", "bin-dir", "demo-site", "port-base", "http-port", "peer-port"},
                                             {"no-demo"}));
  EM_RETURN_IF_ERROR(args.ExpectPositional(0, 0, "evermirror up [--data DIR] [--config FILE] [--no-demo] ..."));
  UpOptions o;
  o.data = args.GetOr("data", HomeDir());
  o.config = args.GetOr("config", "");
  o.bin_dir = args.GetOr("bin-dir", "");
  o.demo_site = args.Has("no-demo") ? "-" : args.GetOr("demo-site", "");
  for (auto [flag, field] : {std::pair{"port-base", &o.port_base}, std::pair{"http-port", &o.http_port},
                             std::pair{"peer-port", &o.peer_port}}) {
    if (args.Has(flag) && (!absl::SimpleAtoi(*args.Get(flag), field) || *field <= 0 || *field > 65000)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": not a port"));
    }
  }
  return o;
}

}  // namespace

int RunUpCommand(int argc, char** argv) {
  rpc::BlockShutdownSignals();  // before any thread: Ctrl-C is handled below, in order
  absl::StatusOr<UpOptions> options = ParseUp(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "evermirror up: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  env::FileSystem& fs = *env::DefaultFileSystem();
  absl::Status status = fs.CreateDirs(env::JoinPath(options->data, "logs"));
  absl::StatusOr<std::string> config = status.ok() ? EnsureConfig(*options) : absl::StatusOr<std::string>(status);
  absl::StatusOr<std::vector<ServiceSpec>> specs = config.ok() ? Specs(*options, *config) : config.status();
  Supervisor supervisor;
  status = specs.ok() ? supervisor.Start(*specs) : specs.status();
  std::optional<crypto::PublicKey> site;
  const std::string demo = options->demo_site == "-" ? "" : FindDemoSite(*options);
  bool aliased = false;
  if (status.ok() && !demo.empty()) {
    absl::StatusOr<crypto::PublicKey> published = PublishDemo(*options, demo);
    if (published.ok()) site = *published;
    status = published.status();
  }
  if (site.has_value()) {
    absl::Status alias = AliasDemo(*options, *site);
    if (!alias.ok()) std::fprintf(stderr, "evermirror up: naming the example site: %s\n", std::string(alias.message()).c_str());
    aliased = alias.ok();
  }
  if (!status.ok()) {
    std::fprintf(stderr, "evermirror up: %s\n", std::string(status.message()).c_str());
    supervisor.Stop();
    return 1;
  }
  PrintEndpoints(*options, site, aliased);
  rpc::WaitForShutdownSignal();
  std::printf("stopping...\n");
  supervisor.Stop();
  return 0;
}

}  // namespace evermirror::cli
