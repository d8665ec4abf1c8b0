#include "tests/e2e/e2e_host.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "shared/base/status_macros.h"
#include "shared/env/posix_file_system.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"

namespace evermirror::e2e {
namespace {

constexpr absl::Duration kStartPatience = absl::Seconds(90);  // a loaded 2-core CI machine

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Quoted(const std::vector<std::string>& items) {
  std::vector<std::string> q;
  for (const std::string& i : items) q.push_back(absl::StrCat("\"", i, "\""));
  return absl::StrCat("[", absl::StrJoin(q, ", "), "]");
}

}  // namespace

HostOptions HostNamed(const std::string& name, int index, bool dht, bool lan, const std::string& cli_binary) {
  HostOptions o;
  o.name = name;
  o.index = index;
  o.dht = dht;
  o.lan = lan;
  o.cli_binary = cli_binary;
  return o;
}

absl::StatusOr<std::unique_ptr<Host>> Host::Start(TestLan& lan, const HostOptions& options, const std::string& work_dir) {
  std::unique_ptr<Host> host(new Host(options, env::JoinPath(work_dir, options.name)));
  host->data_ = env::JoinPath(host->dir_, "data");
  EM_RETURN_IF_ERROR(env::DefaultFileSystem()->CreateDirs(host->data_));
  EM_ASSIGN_OR_RETURN(host->netns_pid_, lan.AddHost(options.name, options.index));
  EM_RETURN_IF_ERROR(host->WriteConfig());
  EM_RETURN_IF_ERROR(host->Up());
  return host;
}

Host::~Host() {
  ingest_.reset();
  replicator_.reset();
  up_.reset();  // SIGKILLs up's process group; the services die with their supervisor
}

std::string Host::Socket(const std::string& service) const {
  return absl::StrCat("unix:", data_, "/", service, ".sock");
}

// Everything on the host's own interface: peers, DHT, mDNS, HTTP; admin APIs on loopback
// (`up` assigns those) plus the unix sockets the test uses.
absl::Status Host::WriteConfig() const {
  std::string toml = absl::StrCat("[box]\nname = \"", options_.name, "\"\ndata_dir = \"", data_, "\"\n\n",
                                  "[replicator]\npeer_address = \"0.0.0.0:", kPeerPort, "\"\nadmin_socket = \"", data_,
                                  "/replicator.sock\"\n\n[swarm]\nadmin_socket = \"", data_, "/swarm.sock\"\n",
                                  "announce_port = ", kPeerPort, "\ndnssd_enabled = false\n");
  absl::StrAppend(&toml, "dht_enabled = ", options_.dht ? "true" : "false", "\ndht_address = \"", ip(), ":6881\"\n",
                  "dht_bootstrap = [\"", kBootstrap, "\"]\nempty_lookup_retry = \"1s\"\n");
  absl::StrAppend(&toml, "lan_enabled = ", options_.lan ? "true" : "false", "\nlan_interface = \"", kHostInterface, "\"\n\n");
  absl::StrAppend(&toml, "[ingest]\nadmin_socket = \"", data_, "/ingest.sock\"\nprogress_interval = \"500ms\"\n",
                  "retry_max = \"2s\"\nowners = ", Quoted(options_.owners), "\n\n");
  absl::StrAppend(&toml, "[gateway]\nadmin_socket = \"", data_, "/gateway.sock\"\nhttp_address = \"0.0.0.0\"\n",
                  "http_port = ", kHttpPort, "\n");
  return env::WriteFileAtomic(*env::DefaultFileSystem(), env::JoinPath(dir_, "evermirror.toml"), toml, 0644);
}

absl::Status Host::Up() {
  if (up_ != nullptr) return absl::FailedPreconditionError(absl::StrCat(name(), " is already up"));
  lan::testing::Subprocess::Options o;
  o.argv = {options_.cli_binary, "up", "--data", data_, "--config", env::JoinPath(dir_, "evermirror.toml"), "--no-demo"};
  o.netns_of = netns_pid_;
  o.output_path = env::JoinPath(dir_, "up.out");
  const size_t before = UpOutput().size();
  EM_ASSIGN_OR_RETURN(up_, lan::testing::Subprocess::Start(o));
  const absl::Time deadline = absl::Now() + kStartPatience;
  while (!absl::StrContains(UpOutput().substr(before), "Press Ctrl-C")) {
    if (up_->WaitFor(absl::Milliseconds(50)).has_value() || absl::Now() > deadline) {
      up_.reset();
      return absl::InternalError(absl::StrCat(name(), ": `evermirror up` did not come up:\n", UpOutput()));
    }
  }
  EM_ASSIGN_OR_RETURN(replicator_, replicator::ReplicatorClient::Connect(Socket("replicator")));
  EM_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, rpc::MakeChannel(Socket("ingest")));
  ingest_ = ingest::v1::IngestAdmin::NewStub(channel);
  return AwaitIdentity();
}

absl::Status Host::AwaitIdentity() {
  const absl::Time deadline = absl::Now() + kStartPatience;
  while (true) {  // UNAVAILABLE until ingest has its logs
    grpc::ClientContext context;
    rpc::PrepareContext(&context, absl::Seconds(10));
    grpc::Status status = ingest_->GetIdentity(&context, ingest::v1::GetIdentityRequest(), &identity_);
    if (status.ok()) return absl::OkStatus();
    if (absl::Now() > deadline) return rpc::FromGrpcStatus(status);
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status Host::Down() {
  if (up_ == nullptr) return absl::OkStatus();
  ingest_.reset();  // an idle channel would hold the server's shutdown for its grace period
  replicator_.reset();
  ::kill(up_->pid(), SIGINT);
  const std::optional<int> code = up_->WaitFor(absl::Seconds(30));
  up_.reset();
  if (code != 0) {
    return absl::InternalError(absl::StrCat(name(), ": `up` exited ", code.value_or(-1), " on Ctrl-C:\n", UpOutput()));
  }
  return absl::OkStatus();
}

std::optional<pid_t> Host::ServicePid(const std::string& service) const {
  // `up` starts each service with --config=<this host's file>: unique per host.
  const std::string binary = absl::StrCat("evermirror-", service);
  const std::string config = absl::StrCat("--config=", env::JoinPath(dir_, "evermirror.toml"));
  absl::StatusOr<std::vector<env::DirEntry>> procs = env::DefaultFileSystem()->List("/proc");
  if (!procs.ok()) return std::nullopt;
  for (const env::DirEntry& e : *procs) {
    int pid = 0;
    if (!absl::SimpleAtoi(e.name, &pid)) continue;
    std::string cmdline = ReadText(absl::StrCat("/proc/", pid, "/cmdline"));
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (absl::StrContains(cmdline, binary + " ") && absl::StrContains(cmdline, config)) return pid;
  }
  return std::nullopt;
}

std::string Host::Log(const std::string& service) const {
  return ReadText(absl::StrCat(data_, "/logs/", service, ".log"));
}

std::string Host::UpOutput() const { return ReadText(env::JoinPath(dir_, "up.out")); }

}  // namespace evermirror::e2e
