#include "tests/gateway_e2e/mirrored_site.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "services/gateway/testing/raw_http_client.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/crypto.h"
#include "shared/crypto/key_text.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::testing {
namespace {

const std::string kSource = EVERMIRROR_SOURCE_DIR;
constexpr absl::Duration kPatience = absl::Seconds(60);
constexpr uint64_t kMtimeMs = 1600000000000;  // fixed file times: the archive is the same every run

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// 5 MiB that no compression or block dedup could shortcut (xorshift64), same every run.
std::string Blob() {
  std::string out(5u << 20, '\0');
  uint64_t x = 0x9e3779b97f4a7c15;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x >> 56);
  }
  return out;
}

std::string NewsPage(int edition) {
  return absl::StrCat("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>news</title>",
                      "<link rel=\"stylesheet\" href=\"style.css\"></head>\n<body><h1 id=\"title\">Edition ", edition,
                      "</h1></body></html>\n");
}

// The committed part of the site (tests/gateway_e2e/site), written first, index.html leading.
SiteFiles CommittedFiles() {
  SiteFiles files;
  for (const char* path : {"/index.html", "/style.css", "/img/logo.png", "/404.html", "/docs/index.html",
                           "/docs/guide/intro.md", "/docs/guide/deep/notes.txt"}) {
    files[path] = ReadText(kSource + "/tests/gateway_e2e/site" + path);
  }
  return files;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MirroredSite>> MirroredSite::Start() {
  const std::string npm = kSource + "/tests/interop/npm/hyperdrive9/node_modules";
  struct stat st {};
  if (::stat((npm + "/hyperdrive").c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(npm, "/hyperdrive is missing: run tests/interop/setup.sh"));
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/em_gateway_e2e_XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  std::unique_ptr<MirroredSite> site(new MirroredSite());
  site->dir_ = dir;
  EM_RETURN_IF_ERROR(env::DefaultFileSystem()->CreateDirs(dir + "/src"));
  std::string seed;
  for (int i = 0; i < 32; ++i) seed += "03";
  EM_ASSIGN_OR_RETURN(ChildProcess seeder,
                      ChildProcess::Start({"node", kSource + "/tests/gateway_e2e/ref_site.js", dir + "/ref", seed},
                                          {"NODE_PATH=" + npm}));
  site->seeder_.emplace(std::move(seeder));
  std::optional<std::string> ready = site->seeder_->ReadLine(kPatience);
  std::vector<std::string> words = absl::StrSplit(ready.value_or(""), ' ');
  if (words.size() != 3 || words[0] != "ready") {
    return absl::InternalError(absl::StrCat("ref_site.js did not start: ", site->seeder_->output()));
  }
  site->key_hex_ = words[1];
  EM_RETURN_IF_ERROR(site->WriteAndMirror());
  return site;
}

absl::Status MirroredSite::WriteAndMirror() {
  past_files_ = CommittedFiles();
  past_files_["/data/blob.bin"] = Blob();
  past_files_["/data/empty.txt"] = "";
  past_files_["/news.html"] = NewsPage(1);
  past_files_["/old.html"] = "<!doctype html><p>gone in the next version</p>\n";
  EM_RETURN_IF_ERROR(Put("/index.html", past_files_["/index.html"]));
  for (const auto& [path, bytes] : past_files_) {
    if (path != "/index.html") EM_RETURN_IF_ERROR(Put(path, bytes));
  }
  past_version_ = last_version_;
  EM_RETURN_IF_ERROR(StartReplicator());
  EM_RETURN_IF_ERROR(StartGateway());
  EM_RETURN_IF_ERROR(AwaitServed(past_version_));

  // The gateway has served (and cached) the files the next versions change; the change must
  // reach it live, through the seeder's connection and the replicator's watch stream.
  for (const char* path : {"/news.html", "/old.html"}) {
    gateway::RawHttpClient conn(http_port_);
    conn.Send(absl::StrCat("GET /", key_hex_, path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    std::optional<gateway::RawResponse> warm = conn.Read();
    if (!warm.has_value() || warm->status != 200) return absl::InternalError(absl::StrCat("GET ", path, " failed"));
  }
  latest_files_ = past_files_;
  latest_files_["/news.html"] = NewsPage(2);
  latest_files_.erase("/old.html");
  EM_RETURN_IF_ERROR(Put("/news.html", latest_files_["/news.html"]));
  EM_RETURN_IF_ERROR(Delete("/old.html"));
  if (last_version_ != latest_version()) return absl::InternalError("unexpected version numbering");
  return AwaitServed(latest_version());
}

// The replicator mirrors the site: added by key, the seeder dialled over loopback.
absl::Status MirroredSite::StartReplicator() {
  EM_ASSIGN_OR_RETURN(ServiceProcess replicator,
                      ServiceProcess::Start(EM_REPLICATOR_BINARY,
                                            {"--box.data_dir=" + dir_ + "/box", "--peer_address=127.0.0.1:0",
                                             "--admin_address=127.0.0.1:0", "--metrics_address=", "--swarm_address="},
                                            dir_ + "/replicator.log"));
  replicator_.emplace(std::move(replicator));
  EM_ASSIGN_OR_RETURN(std::unique_ptr<replicator::ReplicatorClient> client,
                      replicator::ReplicatorClient::Connect(replicator_->Field("grpc")));
  EM_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::ParsePublicKeyText(key_hex_));
  EM_RETURN_IF_ERROR(client->AddFeed(key, replicator::v1::MODE_FULL, replicator::v1::KIND_HYPERDRIVE).status());
  EM_RETURN_IF_ERROR(seeder_->WriteLine("listen"));
  const std::string listening = seeder_->ReadLine(kPatience).value_or("");
  int seeder_port = 0;
  if (!absl::SimpleAtoi(absl::StripPrefix(listening, "listening "), &seeder_port)) {
    return absl::InternalError(absl::StrCat("ref_site.js did not listen: ", seeder_->output()));
  }
  // No swarm here: the replicator dials the seeder as it would a candidate the swarm found.
  return client->Connect("127.0.0.1", static_cast<uint16_t>(seeder_port), crypto::HashHex(crypto::DiscoveryKey(key)))
      .status();
}

absl::Status MirroredSite::StartGateway() {
  EM_ASSIGN_OR_RETURN(
      ServiceProcess gateway,
      ServiceProcess::Start(EM_GATEWAY_BINARY,
                            {"--box.data_dir=" + dir_ + "/box", "--admin_address=127.0.0.1:0",
                             "--metrics_address=127.0.0.1:0", "--http_port=0",
                             "--replicator_address=" + replicator_->Field("grpc"),
                             absl::StrCat("--host_aliases=", kHostAlias, "=", key_hex_),
                             absl::StrCat("--domain=", kDomain)},
                            dir_ + "/gateway.log"));
  gateway_.emplace(std::move(gateway));
  const std::string http = std::string(absl::StripSuffix(gateway_->Field("http"), "/"));
  int port = 0;
  if (!absl::SimpleAtoi(http.substr(http.rfind(':') + 1), &port)) {
    return absl::InternalError(absl::StrCat("no HTTP port in the gateway's ready line: ", gateway_->Log()));
  }
  http_port_ = static_cast<uint16_t>(port);
  metrics_address_ = gateway_->Field("metrics");
  return absl::OkStatus();
}

absl::Status MirroredSite::Put(const std::string& path, const std::string& bytes) {
  const std::string source = absl::StrCat(dir_, "/src/", files_written_++);
  std::ofstream(source, std::ios::binary) << bytes;
  const uint64_t mtime = kMtimeMs + 1000 * files_written_;
  EM_RETURN_IF_ERROR(seeder_->WriteLine(absl::StrCat("put\t", path, "\t", source, "\t", mtime)));
  return AwaitVersion(path);
}

absl::Status MirroredSite::Delete(const std::string& path) {
  EM_RETURN_IF_ERROR(seeder_->WriteLine(absl::StrCat("del\t", path)));
  return AwaitVersion(path);
}

absl::Status MirroredSite::AwaitVersion(const std::string& what) {
  std::string line;
  do {  // "peer ..." lines tell of the replicator's connection, which may come and go
    line = seeder_->ReadLine(kPatience).value_or("");
  } while (absl::StartsWith(line, "peer "));
  if (!absl::SimpleAtoi(absl::StripPrefix(line, "version "), &last_version_) || !absl::StartsWith(line, "version ")) {
    return absl::InternalError(absl::StrCat("ref_site.js failed on ", what, ": ", seeder_->output()));
  }
  return absl::OkStatus();
}

absl::Status MirroredSite::AwaitServed(uint64_t version) {
  const absl::Time deadline = absl::Now() + kPatience;
  std::string last;
  while (absl::Now() < deadline) {
    gateway::RawHttpClient conn(http_port_);
    conn.Send(absl::StrCat("HEAD /", key_hex_, "/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    std::optional<gateway::RawResponse> r = conn.Read(/*head_only=*/true);
    if (r.has_value()) {
      last = absl::StrCat(r->status_line, " version ", r->Header("x-evermirror-version"));
      if (r->status == 200 && r->Header("x-evermirror-version") == absl::StrCat(version)) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::InternalError(
      absl::StrCat("the gateway never served version ", version, " (last: ", last, ")\n", Logs()));
}

MirroredSite::~MirroredSite() {
  gateway_.reset();     // SIGKILL if still running
  replicator_.reset();
  seeder_.reset();
  if (std::getenv("EM_GATEWAY_E2E_KEEP") == nullptr) (void)env::DefaultFileSystem()->RemoveAll(dir_);
}

const SiteFiles& MirroredSite::FilesAt(uint64_t version) const {
  return version == past_version_ ? past_files_ : latest_files_;
}

std::string MirroredSite::HttpBase() const { return absl::StrCat("http://127.0.0.1:", http_port_); }

std::string MirroredSite::SiteUrl(const std::string& path) const {
  return absl::StrCat(HttpBase(), "/", key_hex_, path);
}

std::string MirroredSite::VersionUrl(uint64_t version, const std::string& path) const {
  return absl::StrCat(HttpBase(), "/", key_hex_, "/$/version/", version, path);
}

std::string MirroredSite::MetricsUrl() const { return absl::StrCat("http://", metrics_address_, "/metrics"); }

std::string MirroredSite::Logs() const {
  std::string out;
  if (seeder_) absl::StrAppend(&out, "--- ref_site.js stdout ---\n", seeder_->output());
  if (replicator_) absl::StrAppend(&out, "--- replicator log ---\n", replicator_->Log());
  if (gateway_) absl::StrAppend(&out, "--- gateway log ---\n", gateway_->Log());
  return out;
}

absl::Status MirroredSite::StopGateway() {
  if (!gateway_) return absl::OkStatus();
  absl::Status stopped = gateway_->Stop();
  gateway_.reset();
  return stopped;
}

CurlResponse Curl(const std::string& scratch_dir, const std::vector<std::string>& args, const std::string& url) {
  static int calls = 0;
  const std::string base = absl::StrCat(scratch_dir, "/curl", ++calls);
  // stderr to a file, so a failure message can quote it.
  std::vector<std::string> argv = {"/bin/sh", "-c", absl::StrCat("exec curl \"$@\" 2>'", base, ".err'"), "curl",
                                   "-sS", "--max-time", "30", "-o", base + ".body", "-D", base + ".head",
                                   "-w", "%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  CurlResponse response;
  absl::StatusOr<ChildProcess> curl = ChildProcess::Start(argv);
  if (!curl.ok()) {
    response.error = curl.status().ToString();
    return response;
  }
  curl->Wait(absl::Seconds(40));
  (void)absl::SimpleAtoi(curl->output(), &response.status);
  response.body = ReadText(base + ".body");
  response.error = ReadText(base + ".err");
  // The last response's head: a head starts at each status line.
  const std::string head = ReadText(base + ".head");
  const size_t last = head.rfind("HTTP/");
  for (absl::string_view line : absl::StrSplit(last == std::string::npos ? "" : head.substr(last), "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    response.headers[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  for (const char* suffix : {".body", ".head", ".err"}) ::unlink((base + suffix).c_str());
  return response;
}

}  // namespace evermirror::testing
