// Publish benchmark (bench/drive/run.sh): generates a folder of small files, edits some, and
// publishes it into a hyperdrive 9 archive with evermirror, printing seconds and bytes appended.
//   drive_bench generate DIR [FILES]      FILES (default 2000) files of 5-15 KB, seeded
//   drive_bench modify DIR [N]            rewrites N (default 10) of them with new bytes
//   drive_bench publish DIR STORAGE       publishes DIR into STORAGE (created if absent)
#include <chrono>
#include <cstdio>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "shared/drive/archive.h"
#include "shared/drive/publish.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::drive {
namespace {

std::string FilePath(const std::string& dir, int i) {
  return absl::StrCat(dir, "/section-", i % 20, "/page-", i, ".html");
}

std::string Content(int i, int edition) {
  std::mt19937_64 rng(i * 7919 + edition);
  std::string out(5000 + rng() % 10000, '\0');
  for (char& c : out) c = static_cast<char>('a' + rng() % 26);
  return out;
}

int Generate(env::FileSystem& fs, const std::string& dir, int files) {
  for (int i = 0; i < files; ++i) {
    const std::string path = FilePath(dir, i);
    if (!fs.CreateDirs(env::DirName(path)).ok() || !env::WriteFileAtomic(fs, path, Content(i, 0)).ok()) return 1;
  }
  return 0;
}

int Modify(env::FileSystem& fs, const std::string& dir, int n) {
  for (int i = 0; i < n; ++i) {
    if (!env::WriteFileAtomic(fs, FilePath(dir, i * 97), Content(i * 97, 1)).ok()) return 1;
  }
  return 0;
}

int Publish(env::FileSystem& fs, const std::string& dir, const std::string& storage) {
  absl::StatusOr<std::unique_ptr<Archive>> archive = Archive::Open(&fs, storage);
  if (absl::IsNotFound(archive.status())) archive = Archive::Create(&fs, storage, crypto::GenerateKeyPair());
  if (!archive.ok()) {
    std::fprintf(stderr, "%s\n", archive.status().ToString().c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<PublishReport> report = PublishFolder(**archive, fs, dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
    return 1;
  }
  std::printf("seconds=%.3f bytes=%llu files=%zu version=%llu\n", seconds,
              static_cast<unsigned long long>(report->bytes_appended()),
              report->added.size() + report->modified.size() + report->deleted.size(),
              static_cast<unsigned long long>(report->version_after));
  return 0;
}

}  // namespace
}  // namespace evermirror::drive

int main(int argc, char** argv) {
  using namespace evermirror;
  // As the CLI and the services run: no lock-order checking on every Mutex lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  env::FileSystem& fs = *env::DefaultFileSystem();
  const std::string cmd = argc > 2 ? argv[1] : "";
  int n = 0;
  if (cmd == "generate") return drive::Generate(fs, argv[2], argc > 3 && absl::SimpleAtoi(argv[3], &n) ? n : 2000);
  if (cmd == "modify") return drive::Modify(fs, argv[2], argc > 3 && absl::SimpleAtoi(argv[3], &n) ? n : 10);
  if (cmd == "publish" && argc > 3) return drive::Publish(fs, argv[2], argv[3]);
  std::fprintf(stderr, "usage: drive_bench generate DIR [FILES] | modify DIR [N] | publish DIR STORAGE\n");
  return 2;
}
