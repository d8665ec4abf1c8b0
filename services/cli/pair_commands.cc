#include "services/cli/pair_commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "services/cli/args.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"

namespace evermirror::cli {
namespace {

namespace v1 = ingest::v1;

constexpr absl::Duration kCallTimeout = absl::Seconds(10);

absl::StatusOr<Args> ParseWords(const std::vector<std::string>& words, const std::set<std::string>& value_flags,
                                const std::set<std::string>& bool_flags) {
  std::vector<char*> argv;
  for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  return Args::Parse(static_cast<int>(argv.size()), argv.data(), 0, value_flags, bool_flags);
}

int Finish(const absl::Status& status, const std::string& command, IngestCliEnvironment& env) {
  if (status.ok()) return 0;
  env.err(absl::StrCat("evermirror ", command, ": ", status.message(), "\n"));
  return absl::IsInvalidArgument(status) ? 2 : 1;
}

const char* RoleName(v1::KeyRole role) {
  switch (role) {
    case v1::KEY_ROLE_SELF: return "this node";
    case v1::KEY_ROLE_CONFIGURED: return "owner (config)";
    case v1::KEY_ROLE_ADDED: return "owner";
    case v1::KEY_ROLE_CONTROLLER: return "controller";
    default: return "?";
  }
}

absl::Status Pair(const Args& args, IngestCliEnvironment& env) {
  EM_RETURN_IF_ERROR(args.ExpectPositional(0, 0, "evermirror pair [--ingest ADDRESS]"));
  IngestClient client(env.ingest_address);
  EM_ASSIGN_OR_RETURN(v1::Identity id, client.Identity());
  env.out(absl::StrCat("this machine: ", id.name(), "\n",
                       "  owner key (its command log): ", id.command_log_key(), "\n",
                       "  box key (its receipt log):   ", id.receipt_log_key(), "\n\n",
                       "On a box that should obey this machine, run:\n",
                       "  evermirror trust ", id.command_log_key(), " --name ", id.name(), "\n\n",
                       "On a laptop that this box trusts, send it sites with:\n",
                       "  evermirror mirror add SITE_KEY --to ", id.receipt_log_key(), "\n"));
  return absl::OkStatus();
}

void PrintKey(const v1::TrustedKey& k, IngestCliEnvironment& env) {
  std::string line = absl::StrCat(k.key(), "  ", RoleName(k.role()));
  if (!k.name().empty()) absl::StrAppend(&line, "  \"", k.name(), "\"");
  if (k.role() == v1::KEY_ROLE_CONTROLLER) {
    absl::StrAppend(&line, "  by ", k.authorized_by().substr(0, 16), k.revoked() ? "  REVOKED" : "",
                    k.expired() ? "  EXPIRED" : "");
  }
  env.out(line + "\n");
}

absl::Status Trust(const Args& args, IngestCliEnvironment& env) {
  const std::vector<std::string>& words = args.positional();
  IngestClient client(env.ingest_address);
  if (!words.empty() && words[0] == "list") {
    EM_RETURN_IF_ERROR(args.ExpectPositional(1, 1, "evermirror trust list"));
    EM_ASSIGN_OR_RETURN(v1::ListTrustedKeysResponse keys, client.TrustedKeys());
    for (const v1::TrustedKey& k : keys.keys()) PrintKey(k, env);
    return absl::OkStatus();
  }
  if (!words.empty() && words[0] == "remove") {
    EM_RETURN_IF_ERROR(args.ExpectPositional(2, 2, "evermirror trust remove KEY"));
    EM_ASSIGN_OR_RETURN(std::string key, KeyArgument(words[1], "key"));
    EM_RETURN_IF_ERROR(client.Untrust(key));
    env.out(absl::StrCat("no longer trusted: ", key, "\n"));
    return absl::OkStatus();
  }
  EM_RETURN_IF_ERROR(args.ExpectPositional(1, 1, "evermirror trust KEY [--name NAME] | trust list | trust remove KEY"));
  EM_ASSIGN_OR_RETURN(std::string key, KeyArgument(words[0], "key"));
  EM_ASSIGN_OR_RETURN(v1::TrustedKey trusted, client.Trust(key, args.GetOr("name", "")));
  env.out(absl::StrCat("trusted ", trusted.key(), " (", RoleName(trusted.role()), ")",
                       trusted.name().empty() ? "" : absl::StrCat(" \"", trusted.name(), "\""),
                       "\nits commands are applied as soon as its command log reaches this machine\n"));
  return absl::OkStatus();
}

}  // namespace

IngestClient::IngestClient(std::string address) : address_(std::move(address)) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = rpc::MakeChannel(address_);
  if (channel.ok()) stub_ = v1::IngestAdmin::NewStub(*channel);
}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> IngestClient::Call(Method method, const Request& request, absl::Duration timeout) {
  if (stub_ == nullptr) return absl::InvalidArgumentError(absl::StrCat("bad --ingest address \"", address_, "\""));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  Response response;
  absl::Status status = rpc::FromGrpcStatus(((*stub_).*method)(&context, request, &response));
  if (absl::IsUnavailable(status) && status.message().find("not ready") == absl::string_view::npos) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach evermirror-ingest at ", address_, " (", status.message(),
        "): is it running? Start the node's services (evermirror-replicator, evermirror-swarm, evermirror-ingest) "
        "or pass --ingest ADDRESS"));
  }
  EM_RETURN_IF_ERROR(status);
  return response;
}

absl::StatusOr<v1::Identity> IngestClient::Identity() {
  return Call<v1::GetIdentityRequest, v1::Identity>(&v1::IngestAdmin::Stub::GetIdentity, v1::GetIdentityRequest(),
                                                    kCallTimeout);
}

absl::StatusOr<v1::TrustedKey> IngestClient::Trust(const std::string& key, const std::string& name) {
  v1::AddTrustedKeyRequest request;
  request.set_key(key);
  request.set_name(name);
  return Call<v1::AddTrustedKeyRequest, v1::TrustedKey>(&v1::IngestAdmin::Stub::AddTrustedKey, request, kCallTimeout);
}

absl::Status IngestClient::Untrust(const std::string& key) {
  v1::RemoveTrustedKeyRequest request;
  request.set_key(key);
  return Call<v1::RemoveTrustedKeyRequest, v1::RemoveTrustedKeyResponse>(&v1::IngestAdmin::Stub::RemoveTrustedKey,
                                                                         request, kCallTimeout)
      .status();
}

absl::StatusOr<v1::ListTrustedKeysResponse> IngestClient::TrustedKeys() {
  return Call<v1::ListTrustedKeysRequest, v1::ListTrustedKeysResponse>(&v1::IngestAdmin::Stub::ListTrustedKeys,
                                                                       v1::ListTrustedKeysRequest(), kCallTimeout);
}

absl::StatusOr<v1::AppendCommandResponse> IngestClient::Append(const commands::v1::Command& command) {
  v1::AppendCommandRequest request;
  *request.mutable_command() = command;
  return Call<v1::AppendCommandRequest, v1::AppendCommandResponse>(&v1::IngestAdmin::Stub::AppendCommand, request,
                                                                   kCallTimeout);
}

absl::StatusOr<v1::Box> IngestClient::FollowBox(const std::string& box_key) {
  v1::FollowBoxRequest request;
  request.set_box_key(box_key);
  return Call<v1::FollowBoxRequest, v1::Box>(&v1::IngestAdmin::Stub::FollowBox, request, kCallTimeout);
}

absl::StatusOr<v1::ListMirrorsResponse> IngestClient::Mirrors() {
  return Call<v1::ListMirrorsRequest, v1::ListMirrorsResponse>(&v1::IngestAdmin::Stub::ListMirrors,
                                                               v1::ListMirrorsRequest(), kCallTimeout);
}

absl::StatusOr<v1::ListCommandsResponse> IngestClient::Commands() {
  return Call<v1::ListCommandsRequest, v1::ListCommandsResponse>(&v1::IngestAdmin::Stub::ListCommands,
                                                                 v1::ListCommandsRequest(), kCallTimeout);
}

absl::StatusOr<v1::GetReceiptsResponse> IngestClient::Receipts(const std::string& box_key, uint64_t from,
                                                               absl::Duration wait) {
  v1::GetReceiptsRequest request;
  request.set_box_key(box_key);
  request.set_from_index(from);
  request.set_max_count(1024);
  request.set_wait_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(wait)));
  return Call<v1::GetReceiptsRequest, v1::GetReceiptsResponse>(&v1::IngestAdmin::Stub::GetReceipts, request,
                                                               wait + kCallTimeout);
}

absl::StatusOr<std::string> KeyArgument(const std::string& text, const std::string& what) {
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyText(text);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad ", what, " \"", text, "\": ", key.status().message()));
  }
  return crypto::KeyHex(*key);
}

int RunPair(const std::vector<std::string>& words, IngestCliEnvironment& env) {
  absl::StatusOr<Args> args = ParseWords(words, {"ingest"}, {});
  if (args.ok() && args->Has("ingest")) env.ingest_address = *args->Get("ingest");
  return Finish(args.ok() ? Pair(*args, env) : args.status(), "pair", env);
}

int RunTrust(const std::vector<std::string>& words, IngestCliEnvironment& env) {
  absl::StatusOr<Args> args = ParseWords(words, {"ingest", "name"}, {});
  if (args.ok() && args->Has("ingest")) env.ingest_address = *args->Get("ingest");
  return Finish(args.ok() ? Trust(*args, env) : args.status(), "trust", env);
}

IngestCliEnvironment ProcessIngestEnvironment() {
  IngestCliEnvironment env;
  if (const char* address = std::getenv("EVERMIRROR_INGEST_ADDRESS"); address != nullptr && *address != '\0') {
    env.ingest_address = address;
  }
  env.out = [](std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
  };
  env.err = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stderr); };
  env.terminal = ::isatty(STDOUT_FILENO) == 1;
  return env;
}

int RunPairCommand(int argc, char** argv) {
  IngestCliEnvironment env = ProcessIngestEnvironment();
  return RunPair(std::vector<std::string>(argv + std::min(argc, 2), argv + argc), env);
}

int RunTrustCommand(int argc, char** argv) {
  IngestCliEnvironment env = ProcessIngestEnvironment();
  return RunTrust(std::vector<std::string>(argv + std::min(argc, 2), argv + argc), env);
}

}  // namespace evermirror::cli
