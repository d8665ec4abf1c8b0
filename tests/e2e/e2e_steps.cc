#include "tests/e2e/e2e_steps.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "shared/base/hex.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/crypto.h"
#include "shared/crypto/key_text.h"
#include "shared/env/posix_file_system.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"
#include "tests/tools/child_process.h"
#include "tests/tools/receipts.h"

namespace evermirror::e2e {
namespace {

namespace cmd = commands::v1;
namespace iv1 = ingest::v1;

std::string NewId() {
  std::string bytes(16, '\0');
  crypto::RandomBytes(bytes.data(), bytes.size());
  return ToHex(bytes);
}

}  // namespace

absl::Status WriteFolder(const std::string& folder, const Files& files) {
  env::FileSystem& fs = *env::DefaultFileSystem();
  (void)fs.RemoveAll(folder);
  for (const auto& [path, bytes] : files) {
    const std::string full = folder + path;
    EM_RETURN_IF_ERROR(fs.CreateDirs(env::DirName(full)));
    EM_RETURN_IF_ERROR(env::WriteFileAtomic(fs, full, bytes, 0644));
  }
  return absl::OkStatus();
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

absl::StatusOr<Published> Publish(Host& host, const std::string& folder, const std::string& site) {
  Published out{site, 0};
  if (out.site.empty()) {
    EM_ASSIGN_OR_RETURN(replicator::v1::FeedStatus created, host.replicator().CreateFeed(replicator::v1::KIND_HYPERDRIVE));
    out.site = created.key();
  }
  EM_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::ParsePublicKeyText(out.site));
  EM_ASSIGN_OR_RETURN(replicator::v1::PublishReport report, host.replicator().PublishFolder(key, folder, nullptr));
  out.version = report.version_after();
  return out;
}

absl::Status Seed(Host& host, const std::string& site) {
  cmd::Command command;
  command.add_to(host.identity().receipt_log_key());  // only this node (empty `to`: every box trusting it)
  command.mutable_mirror_add()->set_site_key(site);
  return Append(host, command).status();
}

cmd::Command MirrorAdd(const std::string& site, const std::string& box, bool sparse) {
  cmd::Command c;
  c.set_id(NewId());
  c.mutable_issued_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  c.add_to(box);
  c.mutable_mirror_add()->set_site_key(site);
  c.mutable_mirror_add()->set_mode(sparse ? cmd::MODE_SPARSE : cmd::MODE_FULL);
  return c;
}

absl::StatusOr<iv1::AppendCommandResponse> Append(Host& host, const cmd::Command& command) {
  grpc::ClientContext context;
  rpc::PrepareContext(&context, absl::Seconds(30));
  iv1::AppendCommandRequest request;
  *request.mutable_command() = command;
  iv1::AppendCommandResponse response;
  EM_RETURN_IF_ERROR(rpc::FromGrpcStatus(host.ingest().AppendCommand(&context, request, &response)));
  return response;
}

CliResult RunCli(const Host& host, const std::string& cli_binary, std::vector<std::string> args, absl::Duration timeout) {
  args.insert(args.begin(), cli_binary);
  args.push_back("--ingest");
  args.push_back(host.Socket("ingest"));
  CliResult result;
  absl::StatusOr<testing::ChildProcess> child = testing::ChildProcess::Start(args);
  if (!child.ok()) return result;
  result.code = child->Wait(timeout).value_or(-1);
  result.output = child->output();
  return result;
}

std::optional<cmd::Receipt> AwaitReceipt(Host& reader, const std::string& box_key, uint64_t* from,
                                         const std::function<bool(const cmd::Receipt&)>& match, absl::Duration timeout) {
  // Retry on errors: the reader may not follow the box yet, or its ingest may be restarting.
  return testing::AwaitReceipt(reader.ingest(), box_key, from, match, timeout, testing::OnReceiptsError::kRetry);
}

std::map<uint64_t, int> CommandReceipts(Host& box, const std::string& log_key) {
  return testing::CommandReceipts(box.replicator(), box.identity().receipt_log_key(), log_key);
}

std::optional<gateway::RawResponse> HttpGet(const std::string& ip, const std::string& path) {
  gateway::RawHttpClient client(ip, kHttpPort);
  if (!client.connected() || !client.Send(absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", ip, "\r\n\r\n"))) {
    return std::nullopt;
  }
  return client.Read();
}

bool ServedWithin(const std::string& ip, const std::string& site, const Files& files, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  auto all_served = [&] {
    for (const auto& [path, bytes] : files) {
      std::optional<gateway::RawResponse> r = HttpGet(ip, absl::StrCat("/", site, path));
      if (!r.has_value() || r->status != 200 || r->body != bytes) return false;
    }
    return true;
  };
  while (!all_served()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return true;
}

}  // namespace evermirror::e2e
