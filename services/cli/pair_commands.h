// `evermirror pair` and `evermirror trust`: the keys two machines exchange, and trusting a
// laptop's key on a box. Also IngestClient, the CLI's connection to the local
// evermirror-ingest (admin gRPC, default 127.0.0.1:7403), shared with mirror_commands.h.
//
//   pair                      this machine's owner key and box key, and what to run on the other side
//   trust KEY [--name N]      obey the commands of the owner KEY (its command log)
//   trust list                every trusted key
//   trust remove KEY          stop trusting KEY
// Every command takes --ingest ADDRESS (default $EVERMIRROR_INGEST_ADDRESS or 127.0.0.1:7403).
// Exit codes: 0 ok, 2 usage errors (bad arguments or keys), 1 anything else.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "evermirror/ingest/v1/ingest.grpc.pb.h"

namespace evermirror::cli {

// What the ingest commands need from the process, so tests run them against a fake server.
struct IngestCliEnvironment {
  std::string ingest_address = "127.0.0.1:7403";
  std::function<void(std::string_view)> out;  // stdout
  std::function<void(std::string_view)> err;  // stderr
  bool terminal = false;                      // stdout is a terminal: draw progress bars
};

// The local ingest's admin API with absl statuses. An unreachable ingest gives Unavailable
// with a message saying how to start it. Not thread-safe.
class IngestClient {
 public:
  explicit IngestClient(std::string address);
  absl::StatusOr<ingest::v1::Identity> Identity();
  absl::StatusOr<ingest::v1::TrustedKey> Trust(const std::string& key, const std::string& name);
  absl::Status Untrust(const std::string& key);
  absl::StatusOr<ingest::v1::ListTrustedKeysResponse> TrustedKeys();
  absl::StatusOr<ingest::v1::AppendCommandResponse> Append(const commands::v1::Command& command);
  absl::StatusOr<ingest::v1::Box> FollowBox(const std::string& box_key);
  absl::StatusOr<ingest::v1::ListMirrorsResponse> Mirrors();
  absl::StatusOr<ingest::v1::ListCommandsResponse> Commands();
  // Receipts of `box_key` from `from`; waits up to `wait` when there are none yet.
  absl::StatusOr<ingest::v1::GetReceiptsResponse> Receipts(const std::string& box_key, uint64_t from,
                                                           absl::Duration wait);

 private:
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(Method method, const Request& request, absl::Duration timeout);

  std::string address_;
  std::unique_ptr<ingest::v1::IngestAdmin::Stub> stub_;
};

// A key as people type it (hex, z-base-32, dat://) -> hex; InvalidArgument naming `what`.
absl::StatusOr<std::string> KeyArgument(const std::string& text, const std::string& what);

// `args` are the words after "pair" / "trust". Return the exit code.
int RunPair(const std::vector<std::string>& args, IngestCliEnvironment& environment);
int RunTrust(const std::vector<std::string>& args, IngestCliEnvironment& environment);

// The process's environment: stdout/stderr, isatty, $EVERMIRROR_INGEST_ADDRESS.
IngestCliEnvironment ProcessIngestEnvironment();
// argv[0] is the program, argv[1] the command ("pair", "trust").
int RunPairCommand(int argc, char** argv);
int RunTrustCommand(int argc, char** argv);

}  // namespace evermirror::cli
