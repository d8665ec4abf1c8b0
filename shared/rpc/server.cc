#include "shared/rpc/server.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/config/address.h"
#include "shared/rpc/grpc_init.h"
#include "shared/rpc/server_metrics.h"

namespace evermirror::rpc {
namespace {

constexpr uint64_t kMaxMessageLimit = 1u << 30;  // gRPC takes an int

absl::Status CheckAddress(std::string_view field, const std::string& text, bool allow_remote) {
  absl::StatusOr<config::Address> address = config::ParseAddress(text);
  if (!address.ok()) return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field), ": ", address.status().message()));
  if (!allow_remote && !address->IsLoopback()) {
    return absl::InvalidArgumentError(absl::StrCat(
        ToAbsl(field), ": ", text, " is not a loopback address; admin RPCs listen on 127.0.0.1 or a unix "
        "socket unless allow_remote_admin = true"));
  }
  return absl::OkStatus();
}

void ConfigureBuilder(grpc::ServerBuilder& builder, const ServerOptions& options) {
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  // Without this, Linux gRPC sets SO_REUSEPORT and a second server "binds" a taken port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Accept the keepalive pings our clients send (client.h) on idle, long-lived channels.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  // Find dead clients that hold streams open.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
}

std::vector<std::string> ListenTargets(const ServerOptions& options) {
  std::vector<std::string> targets;
  if (!options.listen_address.empty()) targets.push_back(options.listen_address);
  if (!options.unix_socket.empty()) targets.push_back(absl::StrCat("unix:", options.unix_socket));
  return targets;
}

absl::Status BindError(const std::vector<std::string>& targets) {
  std::string reason = TakeLastGrpcOsError();
  if (reason.empty()) reason = "address in use, missing directory or not permitted?";
  return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", absl::StrJoin(targets, " and "), ": ", reason));
}

// The targets with TCP ports as bound; *tcp_port gets the TCP one (0 if none).
std::vector<std::string> BoundAddresses(const std::vector<std::string>& targets, const std::vector<int>& ports,
                                        int* tcp_port) {
  std::vector<std::string> addresses;
  *tcp_port = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    config::Address address = *config::ParseAddress(targets[i]);  // validated before
    if (address.kind == config::Address::Kind::kTcp) address.port = *tcp_port = ports[i];
    addresses.push_back(address.ToString());
  }
  return addresses;
}

}  // namespace

absl::Status ServerOptions::Validate() const {
  if (listen_address.empty() && unix_socket.empty()) {
    return absl::InvalidArgumentError("admin_address: empty, and no admin_socket either: nothing to listen on");
  }
  if (!listen_address.empty()) EM_RETURN_IF_ERROR(CheckAddress("admin_address", listen_address, allow_remote_admin));
  if (!unix_socket.empty() && unix_socket.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("admin_socket: bad path");
  }
  if (max_message_bytes < 1024 || max_message_bytes > kMaxMessageLimit) {
    return absl::InvalidArgumentError(absl::StrCat("max_message_size: must be between 1KiB and 1GiB, got ",
                                                   max_message_bytes, " bytes"));
  }
  return absl::OkStatus();
}

void DeclareServerOptions(config::Section& section, ServerOptions* options) {
  section.Address("admin_address", &options->listen_address, "gRPC admin listen address (host:port or unix:/path).")
      .String("admin_socket", &options->unix_socket, "Also serve gRPC on this unix socket path; empty for none.")
      .Bool("allow_remote_admin", &options->allow_remote_admin,
            "Allow admin_address to be a non-loopback address (anyone who reaches it can administer the box).")
      .Size("max_message_size", &options->max_message_bytes, "Largest gRPC message received or sent.");
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::vector<std::string> addresses)
    : server_(std::move(server)), port_(port), addresses_(std::move(addresses)) {}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const ServerOptions& options,
                                                              const std::vector<ServiceEntry>& services,
                                                              metrics::Registry* metrics, env::Clock* clock) {
  EM_RETURN_IF_ERROR(options.Validate());
  InitGrpc();
  grpc::ServerBuilder builder;
  ConfigureBuilder(builder, options);
  const std::vector<std::string> targets = ListenTargets(options);
  std::vector<int> ports(targets.size(), 0);
  for (size_t i = 0; i < targets.size(); ++i) {
    builder.AddListeningPort(targets[i], grpc::InsecureServerCredentials(), &ports[i]);
  }
  std::vector<std::string> names;
  for (const ServiceEntry& entry : services) {
    builder.RegisterService(entry.service);
    names.push_back(entry.name);
  }
  if (metrics != nullptr) {
    builder.experimental().SetInterceptorCreators(MakeServerMetricsInterceptors(metrics, clock, names));
  }
  TakeLastGrpcOsError();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  // gRPC reports a failed bind as port 0 (and may still have started on the other address).
  if (server == nullptr || std::count(ports.begin(), ports.end(), 0) > 0) return BindError(targets);
  int tcp_port = 0;
  std::vector<std::string> addresses = BoundAddresses(targets, ports, &tcp_port);
  for (const std::string& name : names) server->GetHealthCheckService()->SetServingStatus(name, true);
  log::Info("grpc_server_started").Kv("addresses", absl::StrJoin(addresses, ","));
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), tcp_port, std::move(addresses)));
}

void GrpcServer::SetServing(std::string_view service, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  server_->GetHealthCheckService()->SetServingStatus(std::string(service), serving);
}

void GrpcServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    // Health watchers hear NOT_SERVING before the listeners close.
    server_->GetHealthCheckService()->Shutdown();
  }
  log::Info("grpc_server_stopping").Kv("grace_ms", absl::ToInt64Milliseconds(grace));
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  log::Info("grpc_server_stopped");
}

void GrpcServer::Wait() { server_->Wait(); }

}  // namespace evermirror::rpc
