// The process crash_loop_test kills with SIGKILL. Modes:
//   append DIR [--no-auto-flush]   append deterministic batches forever; after each append
//                                  (and flush, or reading its signature) print the length
//   download SRC DST               download SRC into the replica DST in random order forever
//                                  (re-starting when done); print the committed count
#include <cstdio>
#include <cstring>
#include <string>

#include "shared/env/posix_file_system.h"
#include "shared/env/random.h"
#include "shared/hypercore/feed.h"
#include "tests/hypercore_crash/content.h"

using evermirror::hypercore::Feed;
using evermirror::hypercore::FeedOptions;
using evermirror::hypercore::RemoteTree;

namespace {

int Append(const std::string& dir, bool auto_flush) {
  FeedOptions options;
  options.auto_flush = auto_flush;
  auto* fs = evermirror::env::DefaultFileSystem();
  auto feed = fs->Exists(dir + "/key") ? Feed::Open(fs, dir, options) : Feed::Create(fs, dir, evermirror::crash::Key(), options);
  if (!feed.ok()) {
    std::fprintf(stderr, "open: %s\n", feed.status().ToString().c_str());
    return 1;
  }
  while (true) {
    const uint64_t start = (*feed)->length();
    std::vector<std::string> batch;
    // Batches of 1 to 10 blocks: with a ~70 KiB block among them, the data is written while
    // it is hashed; smaller batches are held.
    for (uint64_t i = start; i < start + 1 + start % 10; ++i) batch.push_back(evermirror::crash::Content(i));
    std::vector<std::string_view> views(batch.begin(), batch.end());
    if (!(*feed)->AppendBatch(views).ok()) return 1;
    if (!auto_flush && start % 3 == 0 && !(*feed)->Flush().ok()) return 1;
    // Uncommitted appends may be held in memory until someone reads their signature (to serve
    // it): what is printed is what a peer could have verified, which a kill must not lose.
    if (!auto_flush && !(*feed)->SignatureFor((*feed)->length()).ok()) return 1;
    std::printf("%llu\n", static_cast<unsigned long long>((*feed)->length()));
    std::fflush(stdout);
  }
}

int Download(const std::string& src, const std::string& dst) {
  auto* fs = evermirror::env::DefaultFileSystem();
  auto writer = Feed::Open(fs, src);
  FeedOptions options;
  options.auto_flush = false;
  auto reader = Feed::OpenOrCreateReplica(fs, dst, evermirror::crash::Key().public_key, options);
  if (!writer.ok() || !reader.ok()) return 1;
  evermirror::env::SeededRandom rng(static_cast<uint64_t>(::getpid()));
  RemoteTree remote;
  const uint64_t length = (*writer)->length();
  for (int round = 0; (*reader)->downloaded() < length; ++round) {
    const uint64_t i = rng.Uniform(length);
    if ((*reader)->Has(i)) continue;
    auto proof = (*writer)->ProofFor(i, (*reader)->Digest(i), false, &remote);
    if (!proof.ok() || !(*reader)->Put(i, (*writer)->Get(i).value(), *proof).ok()) return 1;
    if (round % 16 == 0) {
      if (!(*reader)->Flush().ok()) return 1;
      std::printf("%llu\n", static_cast<unsigned long long>((*reader)->downloaded()));
      std::fflush(stdout);
    }
  }
  return (*reader)->Flush().ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "append") == 0) {
    return Append(argv[2], !(argc >= 4 && std::strcmp(argv[3], "--no-auto-flush") == 0));
  }
  if (argc == 4 && std::strcmp(argv[1], "download") == 0) return Download(argv[2], argv[3]);
  std::fprintf(stderr, "usage: crash_child append DIR [--no-auto-flush] | download SRC DST\n");
  return 2;
}
