// Test support for tests/gateway_e2e: a Dat site written and seeded by the reference hyperdrive
// 9.14.2 (ref_site.js), mirrored into a real evermirror-replicator over loopback TCP and served
// by a real evermirror-gateway; and curl, the HTTP client the tests check it with. Runs the
// binaries inside netns_run.sh's namespace (the gateway and the replicator bind loopback only).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/tools/service_process.h"
#include "tests/tools/child_process.h"

namespace evermirror::testing {

// Archive path ("/docs/index.html") -> the file's bytes.
using SiteFiles = std::map<std::string, std::string>;

// The site's history: `past_version` holds every file (nested folders, index.html, CSS, a PNG,
// the site's own 404.html, a 5 MiB binary, an empty file, news.html and old.html); the two
// versions after it overwrite news.html and delete old.html, so the latest is past + 2.
// Not thread-safe.
class MirroredSite {
 public:
  static constexpr char kHostAlias[] = "blog.example.org";  // gateway.host_aliases
  static constexpr char kDomain[] = "mirror.test";          // gateway.domain

  // Writes the past version with the reference, seeds it, has the replicator mirror it (the
  // feed added by key, the seeder dialled over loopback), starts the gateway and waits until it
  // serves that version; then writes the overwrite and the delete, which reach the gateway
  // live. FailedPrecondition if the reference packages are missing; Internal (with logs) if a
  // process fails or the gateway does not serve a version within 60 s.
  static absl::StatusOr<std::unique_ptr<MirroredSite>> Start();
  ~MirroredSite();  // kills what still runs; removes the scratch directory

  const std::string& key_hex() const { return key_hex_; }
  uint64_t past_version() const { return past_version_; }
  uint64_t latest_version() const { return past_version_ + 2; }
  // The files of `version` (past or latest); every other version has no entry here.
  const SiteFiles& FilesAt(uint64_t version) const;
  uint16_t http_port() const { return http_port_; }
  std::string HttpBase() const;                                 // "http://127.0.0.1:PORT"
  std::string SiteUrl(const std::string& path) const;           // HttpBase()/<key><path>
  std::string VersionUrl(uint64_t version, const std::string& path) const;
  std::string MetricsUrl() const;                                // the gateway's /metrics
  const std::string& dir() const { return dir_; }                // scratch space for the test
  // Both services' logs so far, for failure messages.
  std::string Logs() const;
  // SIGTERM to the gateway: OK once it exited 0.
  absl::Status StopGateway();

 private:
  MirroredSite() = default;
  absl::Status WriteAndMirror();
  absl::Status StartReplicator();
  absl::Status StartGateway();
  absl::Status Put(const std::string& path, const std::string& bytes);
  absl::Status Delete(const std::string& path);
  absl::Status AwaitVersion(const std::string& expect);          // the seeder's "version N"
  absl::Status AwaitServed(uint64_t version);

  std::string dir_;
  std::string key_hex_;
  uint64_t past_version_ = 0;
  uint64_t last_version_ = 0;  // the seeder's, after its last change
  int files_written_ = 0;
  SiteFiles past_files_, latest_files_;
  std::optional<ChildProcess> seeder_;
  std::optional<ServiceProcess> replicator_, gateway_;
  uint16_t http_port_ = 0;
  std::string metrics_address_;
};

struct CurlResponse {
  int status = 0;                              // 0: no response (curl failed; see `error`)
  std::map<std::string, std::string> headers;  // the last response's, names lower-cased
  std::string body;
  std::string error;                           // curl's stderr
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "<none>" : it->second;
  }
};

// Runs `curl -sS` with `args` on `url`, bodies and headers through files in `scratch_dir`
// (bodies may be binary). One response: no redirects are followed.
CurlResponse Curl(const std::string& scratch_dir, const std::vector<std::string>& args, const std::string& url);

}  // namespace evermirror::testing
