// The figures of issue 6 on the tests/e2e network (real `evermirror up` hosts in network
// namespaces on a bridge): command latency laptop append -> box apply over the LAN path and
// the DHT path (and the receipt back on the laptop), `mirror add` -> a 20 MB site served over
// HTTP, and the box's four services' RSS mirroring 10 sites. Needs root. Run bench/e2e/run.sh.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "shared/crypto/key_text.h"
#include "shared/env/posix_file_system.h"
#include "shared/lan/testing/netns.h"
#include "tests/e2e/e2e_host.h"
#include "tests/e2e/e2e_steps.h"
#include "tests/tools/command_timing.h"

namespace evermirror::e2e {
namespace {

namespace cmd = commands::v1;

struct Network {
  std::string tmp;
  std::unique_ptr<TestLan> lan;
  std::unique_ptr<Host> laptop, box;
};

// A fresh laptop and box (trusting it), with only DHT or only LAN discovery.
absl::StatusOr<Network> StartNetwork(bool dht, bool lan) {
  Network n;
  std::string tmpl = "/tmp/em_e2e_bench_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp");
  n.tmp = tmpl;
  absl::StatusOr<std::unique_ptr<TestLan>> l = TestLan::Create(EM_SWARM_BINARY, n.tmp);
  if (!l.ok()) return l.status();
  n.lan = *std::move(l);
  auto laptop = Host::Start(*n.lan, HostNamed("laptop", 1, dht, lan, EM_CLI_BINARY), n.tmp);
  if (!laptop.ok()) return laptop.status();
  n.laptop = *std::move(laptop);
  HostOptions b = HostNamed("box", 2, dht, lan, EM_CLI_BINARY);
  b.owners = {n.laptop->identity().command_log_key()};
  auto box = Host::Start(*n.lan, b, n.tmp);
  if (!box.ok()) return box.status();
  n.box = *std::move(box);
  return n;
}

void Stop(Network& n) {
  n.box.reset();
  n.laptop.reset();
  n.lan.reset();
  (void)env::DefaultFileSystem()->RemoveAll(n.tmp);
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

// Milliseconds from AppendCommand on the laptop until the box's receipt for it is in the
// box's receipt log (watched on the box's replicator), and until it is back on the laptop.
absl::Status OneCommand(Network& n, uint64_t* laptop_from, double* apply_ms, double* back_ms) {
  const std::string box_key = n.box->identity().receipt_log_key();
  const crypto::PublicKey receipts = crypto::ParsePublicKeyText(box_key).value();
  absl::StatusOr<testing::CommandTiming> timing = testing::TimeCommandToReceipt(n.box->replicator(), receipts, [&] {
    return Append(*n.laptop, MirrorAdd(crypto::KeyHex(crypto::GenerateKeyPair().public_key), box_key, true));
  });
  if (!timing.ok()) return absl::InternalError(absl::StrCat("no receipt on the box: ", timing.status().ToString()));
  const ingest::v1::AppendCommandResponse& sent = timing->sent;
  auto back = AwaitReceipt(*n.laptop, box_key, laptop_from, [&](const cmd::Receipt& r) {
    return r.command().log_key() == sent.log_key() && r.command().index() == sent.index();
  });
  if (!back.has_value()) return absl::InternalError("no receipt back on the laptop");
  *apply_ms = absl::ToDoubleMilliseconds(timing->receipted - timing->appended);
  *back_ms = absl::ToDoubleMilliseconds(absl::Now() - timing->appended);
  return absl::OkStatus();
}

absl::Status CommandLatency(const char* path, bool dht, bool lan, int rounds) {
  absl::StatusOr<Network> n = StartNetwork(dht, lan);
  if (!n.ok()) return n.status();
  const std::string box_key = n->box->identity().receipt_log_key();
  // Warm up: the box finds the laptop, the laptop follows the box.
  if (RunCli(*n->laptop, EM_CLI_BINARY, {"mirror", "list", "--to", box_key}).code != 0) return absl::InternalError("cli");
  uint64_t from = 1;
  double apply = 0, back = 0;
  absl::Status warm = OneCommand(*n, &from, &apply, &back);
  std::vector<double> applies, backs;
  for (int i = 0; warm.ok() && i < rounds; ++i) {
    absl::Status s = OneCommand(*n, &from, &apply, &back);
    if (!s.ok()) return s;
    applies.push_back(apply);
    backs.push_back(back);
  }
  if (!warm.ok()) return warm;
  std::printf("command latency, %s path, %d commands: append -> box apply median %.1f ms, p90 %.1f ms; "
              "-> receipt back on the laptop median %.1f ms, p90 %.1f ms\n",
              path, rounds, Percentile(applies, 0.5), Percentile(applies, 0.9), Percentile(backs, 0.5),
              Percentile(backs, 0.9));
  std::fflush(stdout);
  Stop(*n);
  return absl::OkStatus();
}


// Seconds from `mirror add` on the laptop until every file of a 20 MB site is served by the
// box's gateway (polled), DHT path.
absl::Status SiteServed(int megabytes) {
  absl::StatusOr<Network> n = StartNetwork(/*dht=*/true, /*lan=*/false);
  if (!n.ok()) return n.status();
  Files files = {{"/index.html", "<h1>big site</h1>\n"}};
  for (int i = 0; i < megabytes; ++i) files[absl::StrCat("/data/part", i, ".bin")] = RandomBytes(1 << 20, i + 1);
  const std::string folder = n->tmp + "/site";
  if (absl::Status s = WriteFolder(folder, files); !s.ok()) return s;
  absl::StatusOr<Published> site = Publish(*n->laptop, folder);
  if (!site.ok()) return site.status();
  if (absl::Status s = Seed(*n->laptop, site->site); !s.ok()) return s;
  const absl::Time start = absl::Now();
  const CliResult added = RunCli(*n->laptop, EM_CLI_BINARY, {"mirror", "add", site->site, "--to",
                                                              n->box->identity().receipt_log_key()});
  if (added.code != 0) return absl::InternalError(added.output);
  if (!ServedWithin(n->box->ip(), site->site, files, absl::Seconds(300))) return absl::InternalError("never served");
  std::printf("mirror add -> %d MiB site (%zu files) served over HTTP by the box: %.2f s\n", megabytes, files.size(),
              absl::ToDoubleSeconds(absl::Now() - start));
  std::fflush(stdout);
  Stop(*n);
  return absl::OkStatus();
}

// Fields of /proc/<pid>/status, in KiB (VmRSS = RssAnon + RssFile + RssShmem) and threads.
struct ProcMemory {
  uint64_t rss = 0, anon = 0, file = 0, threads = 0;
};

ProcMemory MemoryOf(pid_t pid) {
  ProcMemory m;
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    absl::string_view value = absl::StripAsciiWhitespace(absl::string_view(line).substr(colon + 1));
    if (absl::EndsWith(value, " kB")) value.remove_suffix(3);
    const std::string name = line.substr(0, colon);
    uint64_t* field = name == "VmRSS" ? &m.rss : name == "RssAnon" ? &m.anon : name == "RssFile" ? &m.file
                    : name == "Threads" ? &m.threads : nullptr;
    if (field != nullptr) (void)absl::SimpleAtoi(value, field);
  }
  return m;
}

// Polls every file of every site together, under one deadline, until each has been served
// once with exactly its bytes; a file served is not fetched again. On timeout the error names
// what is still missing and what the gateway last answered for it, instead of the bench
// waiting out a deadline per site in turn (ten sites: 50 minutes that looked like a hang).
absl::Status AllServedWithin(const std::string& ip, const std::vector<std::pair<std::string, Files>>& sites,
                             absl::Duration timeout) {
  std::map<std::string, const std::string*> missing;  // "/<site><path>" -> bytes
  for (const auto& [site, files] : sites) {
    for (const auto& [path, bytes] : files) missing[absl::StrCat("/", site, path)] = &bytes;
  }
  std::map<std::string, std::string> last;  // what a missing URL got last time
  const absl::Time deadline = absl::Now() + timeout;
  while (!missing.empty()) {
    for (auto it = missing.begin(); it != missing.end();) {
      std::optional<gateway::RawResponse> r = HttpGet(ip, it->first);
      if (r.has_value() && r->status == 200 && r->body == *it->second) {
        it = missing.erase(it);
        continue;
      }
      last[it->first] = !r.has_value() ? "no response" : r->status == 200 ? "200 with other bytes" : r->status_line;
      ++it;
    }
    if (missing.empty()) break;
    if (absl::Now() > deadline) {
      const auto& [url, bytes] = *missing.begin();
      return absl::DeadlineExceededError(absl::StrCat(missing.size(), " files not served after ",
                                                      absl::FormatDuration(timeout), ", e.g. ", url, ": ", last[url]));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::OkStatus();
}

// The box's four services' RSS once it mirrors `sites` sites (full mirrors, each served).
absl::Status BoxMemory(int sites) {
  absl::StatusOr<Network> n = StartNetwork(/*dht=*/true, /*lan=*/false);
  if (!n.ok()) return n.status();
  std::vector<std::pair<std::string, Files>> published;
  for (int i = 0; i < sites; ++i) {
    Files files = {{"/index.html", absl::StrCat("<h1>site ", i, "</h1>\n")}, {"/photo.bin", RandomBytes(400000, 100 + i)}};
    const std::string folder = absl::StrCat(n->tmp, "/site", i);
    if (absl::Status s = WriteFolder(folder, files); !s.ok()) return s;
    absl::StatusOr<Published> site = Publish(*n->laptop, folder);
    if (!site.ok()) return site.status();
    if (absl::Status s = Seed(*n->laptop, site->site); !s.ok()) return s;
    if (auto a = Append(*n->laptop, MirrorAdd(site->site, n->box->identity().receipt_log_key())); !a.ok()) return a.status();
    published.emplace_back(site->site, files);
  }
  if (absl::Status s = AllServedWithin(n->box->ip(), published, absl::Seconds(300)); !s.ok()) return s;
  uint64_t total = 0;
  std::string detail;
  for (const char* service : {"replicator", "swarm", "ingest", "gateway"}) {
    const std::optional<pid_t> pid = n->box->ServicePid(service);
    if (!pid.has_value()) return absl::InternalError(absl::StrCat("the box's ", service, " is not running"));
    const ProcMemory m = MemoryOf(*pid);
    total += m.rss;
    absl::StrAppend(&detail, absl::StrFormat("\n  %-10s %6.1f MiB (anon %.1f, file %.1f), %d threads", service,
                                             m.rss / 1024.0, m.anon / 1024.0, m.file / 1024.0, m.threads));
  }
  std::printf("box RSS mirroring %d sites (all served): %.1f MiB total (goal < 100 MB):%s\n", sites, total / 1024.0,
              detail.c_str());
  std::fflush(stdout);
  Stop(*n);
  return absl::OkStatus();
}

// `only`: "" for every figure, or one of "latency", "served", "memory".
int Main(int rounds, const std::string& only) {
  if (absl::Status s = lan::testing::EnterPrivateNetns(); !s.ok()) {
    std::fprintf(stderr, "e2e_bench: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  const std::vector<std::pair<std::string, std::function<absl::Status()>>> steps = {
      {"latency", [&] { return CommandLatency("LAN (mDNS)", false, true, rounds); }},
      {"latency", [&] { return CommandLatency("DHT", true, false, rounds); }},
      {"served", [] { return SiteServed(20); }},
      {"memory", [] { return BoxMemory(10); }},
  };
  for (const auto& [name, step] : steps) {
    if (!only.empty() && only != name) continue;
    if (absl::Status s = step(); !s.ok()) {
      std::fprintf(stderr, "e2e_bench: %s: %s\n", name.c_str(), std::string(s.message()).c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace evermirror::e2e

int main(int argc, char** argv) {
  int rounds = 20;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &rounds)) return 2;
  return evermirror::e2e::Main(rounds, argc > 2 ? argv[2] : "");
}
