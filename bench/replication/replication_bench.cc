// Replication benchmark: one feed from a seeding process to a fresh one over loopback TCP,
// encryption on, until every block is verified and stored. evermirror-replicator -> evermirror-
// replicator, npm hypercore 7.7.1 -> 7.7.1 and hypercore 11 -> 11 in the same run, beside the
// machine's bounds (loopback TCP, BLAKE2b, Ed25519 verify, XSalsa20).
//   replication_bench --source=DIR --work=DIR [--only=evermirror,hypercore7,hypercore11,bounds]
//                     [--workloads=64k,1k] [--quick] [--repeat=N]
// --source is the evermirror source tree (for npm_replicate.js and the npm packages). Each seeder
// is restarted after its feed is written, so its CPU and peak RSS are those of serving.
// bench/replication/run.sh builds it and runs it inside a private network namespace.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/replication/machine_bounds.h"
#include "tests/replicator/replicator_process.h"
#include "tests/replicator/test_feeds.h"
#include "tests/tools/child_process.h"

namespace evermirror::bench {
namespace {

using testing::ChildProcess;
using testing::ReplicatorProcess;
using testing::ReplicatorProcessOptions;

struct Workload {
  std::string id;  // for --workloads
  std::string name;
  size_t block_size;
  uint64_t blocks;
};

struct Result {
  bool ok = false;
  std::string error;
  double seconds = 0;
  ProcessSample source;  // CPU: used during the transfer; RSS: peak since start
  ProcessSample sink;
};

struct Flags {
  std::string source;
  std::string work = "/tmp";
  std::vector<std::string> only = {"evermirror", "hypercore7", "hypercore11", "bounds"};
  std::vector<std::string> workloads = {"64k", "1k"};
  bool quick = false;
  int repeat = 3;  // evermirror runs per workload (the median is shown); npm runs once
};

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Pseudo-random bytes (nothing compresses), different for every block.
std::string Block(size_t size, uint64_t index) {
  std::string b(size, '\0');
  uint64_t x = index * 0x9E3779B97F4A7C15ull + 0x243F6A8885A308D3ull;
  for (size_t i = 0; i + 8 <= size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(b.data() + i, &x, 8);
  }
  return b;
}

ProcessSample Delta(const ProcessSample& before, const ProcessSample& after) {
  ProcessSample d = after;
  d.cpu_seconds = after.cpu_seconds - before.cpu_seconds;
  return d;
}

Result Fail(std::string error) {
  Result r;
  r.error = std::move(error);
  return r;
}

std::unique_ptr<ReplicatorProcess> StartReplicator(const std::string& home, std::string* error) {
  ReplicatorProcessOptions options;
  options.home = home;
  auto process = ReplicatorProcess::Start(options);
  if (!process.ok()) {
    *error = std::string(process.status().message());
    return nullptr;
  }
  return std::move(*process);
}

Result RunEvermirror(const Workload& w, const std::string& work) {
  const std::string src_home = work + "/em-source-" + w.id, dst_home = work + "/em-sink-" + w.id;
  std::string error;
  auto source = StartReplicator(src_home, &error);
  if (source == nullptr) return Fail(error);
  auto feed = source->client().CreateFeed();
  if (!feed.ok()) return Fail(std::string(feed.status().message()));
  // Appended in batches of up to 3 MiB (one signature each), as the npm side does with 4 MiB.
  const uint64_t per = std::max<uint64_t>(1, std::min<uint64_t>(3000, (3u << 20) / w.block_size));
  for (uint64_t i = 0; i < w.blocks; i += per) {
    std::vector<std::string> batch;
    for (uint64_t j = i; j < std::min(w.blocks, i + per); ++j) batch.push_back(Block(w.block_size, j));
    if (auto appended = source->client().Append(feed->key(), batch, per); !appended.ok()) {
      return Fail(std::string(appended.status().message()));
    }
  }
  if (!source->Stop().ok()) return Fail("source did not stop");
  source = StartReplicator(src_home, &error);
  auto sink = source != nullptr ? StartReplicator(dst_home, &error) : nullptr;
  if (sink == nullptr) return Fail(error);
  if (auto added = sink->client().AddFeed(feed->key()); !added.ok()) return Fail(std::string(added.status().message()));

  // EM_BENCH_PERF_DIR=<dir>: `perf record` both replicators during the transfer only.
  std::optional<ChildProcess> perf;
  if (const char* dir = std::getenv("EM_BENCH_PERF_DIR")) {
    auto started = ChildProcess::Start({"perf", "record", "-q", "-F", "2999", "--call-graph", "dwarf,8192", "-o",
                                        absl::StrCat(dir, "/", w.id, ".perf.data"), "-p",
                                        absl::StrCat(source->pid(), ",", sink->pid())});
    if (started.ok()) perf.emplace(std::move(*started));
    absl::SleepFor(absl::Milliseconds(500));
  }
  const ProcessSample src0 = SampleProcess(source->pid()), dst0 = SampleProcess(sink->pid());
  const absl::Time start = absl::Now();
  if (auto c = sink->client().Connect("127.0.0.1", source->peer_port()); !c.ok()) {
    return Fail(std::string(c.status().message()));
  }
  auto done = sink->client().WaitForFeed(
      feed->key(), [&](const testing::rv1::FeedStatus& s) { return s.downloaded_blocks() == w.blocks; },
      absl::Minutes(10), absl::Milliseconds(10));
  Result r;
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  r.source = Delta(src0, SampleProcess(source->pid()));
  r.sink = Delta(dst0, SampleProcess(sink->pid()));
  if (perf.has_value()) {
    perf->Kill(SIGINT);
    perf->Wait(absl::Seconds(60));
  }
  if (!done.ok()) return Fail(std::string(done.status().message()));
  if (done->verify_failures() != 0) return Fail("verify failures");
  r.ok = true;
  (void)source->Stop();
  (void)sink->Stop();
  testing::RemoveTree(src_home);
  testing::RemoveTree(dst_home);
  return r;
}

// The run with the median time of `flags.repeat` (machines shared with builds are noisy);
// every run's throughput goes to stderr.
Result RunEvermirrorMedian(const Workload& w, const Flags& flags) {
  std::vector<Result> runs;
  for (int i = 0; i < flags.repeat; ++i) {
    runs.push_back(RunEvermirror(w, flags.work));
    if (!runs.back().ok) return runs.back();
  }
  std::sort(runs.begin(), runs.end(), [](const Result& a, const Result& b) { return a.seconds < b.seconds; });
  std::string all;
  for (const Result& r : runs) {
    absl::StrAppend(&all, " ", absl::StrFormat("%.0f", w.blocks * w.block_size / (1024.0 * 1024.0) / r.seconds));
  }
  std::fprintf(stderr, "evermirror %s, %d runs, MiB/s:%s\n", w.name.c_str(), flags.repeat, all.c_str());
  return runs[runs.size() / 2];
}

std::optional<std::string> ReadUntil(ChildProcess& child, const std::string& prefix, absl::Duration timeout,
                                     std::string* error) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::optional<std::string> line = child.ReadLine(deadline - absl::Now());
    if (!line.has_value()) break;
    if (line->rfind(prefix, 0) == 0) return line->substr(prefix.size());
    if (line->rfind("error", 0) == 0) {
      *error = *line;
      return std::nullopt;
    }
  }
  if (error->empty()) *error = "no '" + prefix + "' from node: " + child.output();
  return std::nullopt;
}

Result RunNpm(const std::string& reference, const Workload& w, const Flags& flags) {
  const std::string script = flags.source + "/bench/replication/npm_replicate.js";
  const std::vector<std::string> env = {"NODE_PATH=" + flags.source + "/tests/interop/npm/" + reference + "/node_modules"};
  const std::string src_dir = flags.work + "/" + reference + "-source-" + w.id;
  const std::string dst_dir = flags.work + "/" + reference + "-sink-" + w.id;
  std::string error;
  auto writer = ChildProcess::Start(
      {"node", script, "write", src_dir, absl::StrCat(w.block_size), absl::StrCat(w.blocks)}, env);
  if (!writer.ok()) return Fail("node did not start");
  std::optional<std::string> key = ReadUntil(*writer, "key ", absl::Minutes(30), &error);
  if (!key.has_value()) return Fail(error);
  writer->Wait(absl::Minutes(1));
  auto server = ChildProcess::Start({"node", script, "serve", src_dir}, env);
  std::optional<std::string> port = server.ok() ? ReadUntil(*server, "port ", absl::Minutes(1), &error) : std::nullopt;
  if (!port.has_value()) return Fail(error);
  auto fetcher = ChildProcess::Start({"node", script, "fetch", dst_dir, *key, *port, absl::StrCat(w.blocks)}, env);
  if (!fetcher.ok() || !ReadUntil(*fetcher, "ready", absl::Minutes(1), &error).has_value()) return Fail(error);

  const ProcessSample src0 = SampleProcess(server->pid()), dst0 = SampleProcess(fetcher->pid());
  const absl::Time start = absl::Now();
  if (!fetcher->WriteLine("go").ok()) return Fail("cannot write to node");
  const bool done = ReadUntil(*fetcher, "done", absl::Minutes(30), &error).has_value();
  Result r;
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  r.source = Delta(src0, SampleProcess(server->pid()));
  r.sink = Delta(dst0, SampleProcess(fetcher->pid()));
  if (!done) return Fail(error);
  r.ok = true;
  testing::RemoveTree(src_dir);
  testing::RemoveTree(dst_dir);
  return r;
}

void PrintRow(const std::string& workload, const std::string& impl, const Workload& w, const Result& r) {
  if (!r.ok) {
    std::printf("%-16s %-22s failed: %s\n", workload.c_str(), impl.c_str(), r.error.c_str());
    return;
  }
  const double mib = static_cast<double>(w.blocks * w.block_size) / (1024.0 * 1024.0);
  std::printf("%-16s %-22s %9.1f %10.0f %8.2f %9.1f %9.1f %8.2f %8.2f\n", workload.c_str(), impl.c_str(),
              mib / r.seconds, w.blocks / r.seconds, r.seconds, r.source.peak_rss_mb, r.sink.peak_rss_mb,
              r.source.cpu_seconds, r.sink.cpu_seconds);
  std::fflush(stdout);
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      const std::string prefix = std::string("--") + name + "=";
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      return std::nullopt;
    };
    if (auto v = value("source")) flags.source = *v;
    else if (auto v = value("work")) flags.work = *v;
    else if (auto v = value("only")) flags.only = absl::StrSplit(*v, ',');
    else if (auto v = value("workloads")) flags.workloads = absl::StrSplit(*v, ',');
    else if (auto v = value("repeat")) flags.repeat = std::max(1, std::atoi(v->c_str()));
    else if (arg == "--quick") flags.quick = true;
    else {
      std::fprintf(stderr, "replication_bench: unknown argument %s\n", arg.c_str());
      std::exit(2);
    }
  }
  if (flags.source.empty()) {
    std::fprintf(stderr, "replication_bench: --source=<evermirror source tree> is required\n");
    std::exit(2);
  }
  return flags;
}

int Main(int argc, char** argv) {
  // As the replicator runs (rpc::PrepareServiceProcess): no lock-order checking on every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const Flags flags = ParseFlags(argc, argv);
  const double scale = flags.quick ? 0.1 : 1.0;
  std::vector<Workload> workloads;
  if (Has(flags.workloads, "64k")) {
    const auto n = static_cast<uint64_t>(4096 * scale);
    workloads.push_back({"64k", absl::StrCat("64KiB x ", n), 64 << 10, n});
  }
  if (Has(flags.workloads, "1k")) {
    const auto n = static_cast<uint64_t>(100000 * scale);
    workloads.push_back({"1k", absl::StrCat("1KiB x ", n), 1 << 10, n});
  }
  std::printf("%-16s %-22s %9s %10s %8s %9s %9s %8s %8s\n", "workload", "implementation", "MiB/s", "blocks/s",
              "time s", "srcRSS MB", "dstRSS MB", "srcCPU s", "dstCPU s");
  std::map<std::string, std::map<std::string, Result>> results;  // workload -> impl -> result
  for (const Workload& w : workloads) {
    if (Has(flags.only, "evermirror")) {
      PrintRow(w.name, "evermirror", w, results[w.id]["evermirror"] = RunEvermirrorMedian(w, flags));
    }
    for (const std::string ref : {"hypercore7", "hypercore11"}) {
      if (!Has(flags.only, ref)) continue;
      const std::string label = ref == "hypercore7" ? "npm hypercore 7.7.1" : "npm hypercore 11.37.1";
      PrintRow(w.name, label, w, results[w.id][ref] = RunNpm(ref, w, flags));
    }
  }
  std::printf("\nevermirror / npm (throughput):\n");
  for (const Workload& w : workloads) {
    const Result& ours = results[w.id]["evermirror"];
    for (const std::string ref : {"hypercore7", "hypercore11"}) {
      const Result& theirs = results[w.id][ref];
      if (ours.ok && theirs.ok) std::printf("  %-16s vs %-12s %6.1fx\n", w.name.c_str(), ref.c_str(), theirs.seconds / ours.seconds);
    }
  }
  if (Has(flags.only, "bounds")) {
    const MachineBounds b = MeasureMachineBounds();
    std::printf("\nbounds of this machine (one core each):\n");
    std::printf("  loopback TCP            %9.0f MiB/s\n", b.loopback_tcp_mib_s);
    std::printf("  BLAKE2b, 64 KiB         %9.0f MiB/s\n", b.blake2b_64k_mib_s);
    std::printf("  BLAKE2b, 1 KiB leaves   %9.0f /s\n", b.blake2b_1k_per_s);
    std::printf("  Ed25519 verify          %9.0f /s\n", b.ed25519_verify_per_s);
    std::printf("  XSalsa20                %9.0f MiB/s\n", b.xsalsa20_mib_s);
  }
  std::printf("\ngoals (evermirror): 64 KiB >= 250 MiB/s, 1 KiB >= 60000 blocks/s, peak RSS < 40 MB each\n");
  for (const Workload& w : workloads) {
    const Result& r = results[w.id]["evermirror"];
    if (!r.ok) continue;
    const double mib_s = static_cast<double>(w.blocks * w.block_size) / (1024.0 * 1024.0) / r.seconds;
    const bool speed = w.block_size >= (64 << 10) ? mib_s >= 250 : w.blocks / r.seconds >= 60000;
    const bool rss = r.source.peak_rss_mb < 40 && r.sink.peak_rss_mb < 40;
    std::printf("  %-16s speed %s, RSS %s\n", w.name.c_str(), speed ? "met" : "MISSED", rss ? "met" : "MISSED");
  }
  return 0;
}

}  // namespace
}  // namespace evermirror::bench

int main(int argc, char** argv) { return evermirror::bench::Main(argc, argv); }
