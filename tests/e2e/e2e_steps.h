// The steps the end-to-end tests and bench/e2e are made of: a site folder published on a host
// (through its replicator, as `evermirror up` publishes) and seeded there, commands appended,
// the `evermirror` CLI run against a host, receipts followed, HTTP fetched from a gateway.
// Every wait polls (or long-polls) up to a deadline; none sleeps a fixed time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evermirror/commands/v1/commands.pb.h"
#include "services/gateway/testing/raw_http_client.h"
#include "tests/e2e/e2e_host.h"

namespace evermirror::e2e {

using Files = std::map<std::string, std::string>;  // path in the site ("/index.html") -> bytes

// Generous: CI machines are loaded and two hosts share two cores.
inline constexpr absl::Duration kPatience = absl::Seconds(90);

// Writes `files` into `folder` (created), replacing what was there.
absl::Status WriteFolder(const std::string& folder, const Files& files);
// `n` bytes that do not compress or repeat (seeded).
std::string RandomBytes(size_t n, uint32_t seed);

struct Published {
  std::string site;      // hex key
  uint64_t version = 0;  // metadata length - 1 after the publish
};
// Publishes `folder` on `host` as site `site` (empty: a new site), through its replicator.
absl::StatusOr<Published> Publish(Host& host, const std::string& folder, const std::string& site = "");
// Has `host` seed its own site: a MirrorAdd in its own log (applied there), so its swarm
// announces the site's topic, as `evermirror up` does for the example site.
absl::Status Seed(Host& host, const std::string& site);

// Appends `command` to `host`'s command log.
absl::StatusOr<ingest::v1::AppendCommandResponse> Append(Host& host, const commands::v1::Command& command);
commands::v1::Command MirrorAdd(const std::string& site, const std::string& box, bool sparse = false);

// Runs `evermirror ARGS... --ingest <host's ingest socket>`; its exit code and stdout.
struct CliResult {
  int code = -1;
  std::string output;
};
CliResult RunCli(const Host& host, const std::string& cli_binary, std::vector<std::string> args,
                 absl::Duration timeout = kPatience);

// Follows `box_key`'s receipt log as `reader` sees it from `*from` until `match` accepts one.
std::optional<commands::v1::Receipt> AwaitReceipt(Host& reader, const std::string& box_key, uint64_t* from,
                                                  const std::function<bool(const commands::v1::Receipt&)>& match,
                                                  absl::Duration timeout = kPatience);
// Every command receipt in `box`'s own receipt log for log `log_key`: index -> how many.
std::map<uint64_t, int> CommandReceipts(Host& box, const std::string& log_key);

// GET http://<ip>:8080<path> (Host: <ip>); nullopt if it could not connect or read.
std::optional<gateway::RawResponse> HttpGet(const std::string& ip, const std::string& path);
// Polls until every file of `files` is served at /<site>/<path> with exactly those bytes.
bool ServedWithin(const std::string& ip, const std::string& site, const Files& files, absl::Duration timeout = kPatience);

}  // namespace evermirror::e2e
