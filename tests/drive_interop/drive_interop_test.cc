// Interop with the reference hyperdrive from npm (9.14.2 on hypercore 6.26, 9.16.0 on
// hypercore 7.7.1; installed by tests/interop/setup.sh): for the same key, operations and
// times evermirror's writer produces byte-identical archives; evermirror reads every file of
// a reference archive at every version exactly as the reference does; and the reference reads
// every file of a folder evermirror published.
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/drive/archive.h"
#include "shared/drive/publish.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::drive {
namespace {

const std::string kSource = EVERMIRROR_SOURCE_DIR;
const std::string kTestDir = kSource + "/tests/drive_interop";

std::string SeedHex() {
  std::string out;
  for (int i = 0; i < 32; ++i) out += "01";  // PROTOCOLS.md §3b's test vector seed
  return out;
}

struct Op {
  std::string op, path;
  FileTimes times;
  std::string data;
};

// drive_interop/workload.js's generator.
std::string Generate(uint64_t size, uint64_t seed) {
  std::string out(size, '\0');
  for (uint64_t i = 0; i < size; ++i) out[i] = static_cast<char>((seed * 131 + i * 7 + i / 1024) & 255);
  return out;
}

std::vector<Op> ParseWorkload(const std::string& name) {
  std::ifstream in(kTestDir + "/" + name);
  std::vector<Op> ops;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    Op op{parts[0], parts[1], {}, {}};
    if (op.op != "del") op.times = {std::stoull(parts[2]), std::stoull(parts[3])};
    if (op.op == "put") {
      op.data = parts[4] == "gen" ? Generate(std::stoull(parts[5]), std::stoull(parts[6]))
                                  : absl::StrJoin(parts.begin() + 5, parts.end(), " ");
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

struct NodeRun {
  int exit_code = -1;
  std::string output;
};

NodeRun RunNode(const std::string& npm_dir, const std::string& script, const std::string& args) {
  const std::string cmd = absl::StrCat("NODE_PATH=", kSource, "/tests/interop/npm/", npm_dir,
                                       "/node_modules timeout 300 node ", kTestDir, "/", script, " ", args, " 2>&1");
  NodeRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The "D ..." and "F ..." lines of a dump, in order.
std::vector<std::string> DumpLines(const std::string& output) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (line.size() > 2 && (line[0] == 'D' || line[0] == 'F') && line[1] == ' ') out.emplace_back(line);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return ToHex(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

// ref_read.js's walk, with evermirror's reader.
void Walk(Snapshot& snap, const Names& dir, std::vector<std::string>* out) {
  auto entries = snap.List(dir);
  ASSERT_TRUE(entries.ok()) << JoinNames(dir) << ": " << entries.status();
  for (const DirEntry& e : *entries) {
    Names child = dir;
    child.push_back(e.name);
    if (e.stat.IsFile()) {
      auto data = snap.ReadFile(JoinNames(child), 1u << 30);
      ASSERT_TRUE(data.ok()) << JoinNames(child) << ": " << data.status();
      std::ostringstream mode;
      mode << std::oct << e.stat.mode;
      out->push_back(absl::StrCat("F ", snap.version(), " ", JoinNames(child), " ", data->size(), " ", mode.str(), " ",
                                  e.stat.mtime_ms, " ", Sha256Hex(*data)));
    } else if (e.stat.IsDirectory()) {
      out->push_back(absl::StrCat("D ", snap.version(), " ", JoinNames(child)));
      Walk(snap, child, out);
    }
  }
}

std::vector<std::string> DumpWithEvermirror(Archive& archive) {
  std::vector<std::string> out;
  for (uint64_t v = 0; v <= archive.version(); ++v) {
    Snapshot snap = archive.Checkout(v).value();
    Walk(snap, {}, &out);
  }
  return out;
}

class DriveInteropTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_drive_interop_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(fs_->RemoveAll(tmp_).ok()); }

  std::string WriteWithReference(const std::string& workload) {
    const std::string dir = tmp_ + "/ref-" + workload;
    NodeRun run = RunNode(GetParam(), "ref_write.js", absl::StrCat(dir, " ", SeedHex(), " ", kTestDir, "/", workload));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return dir;
  }

  std::string WriteWithEvermirror(const std::string& workload) {
    const std::string dir = tmp_ + "/ours-" + workload;
    auto archive = Archive::Create(fs_, dir, crypto::KeyPairFromSeed(crypto::ToArray<32>(*FromHex(SeedHex()))));
    EXPECT_TRUE(archive.ok()) << archive.status();
    for (const Op& op : ParseWorkload(workload)) {
      absl::Status status = op.op == "put"     ? (*archive)->WriteFile(op.path, op.data, op.times).status()
                            : op.op == "mkdir" ? (*archive)->Mkdir(op.path, op.times)
                                               : (*archive)->Unlink(op.path);
      EXPECT_TRUE(status.ok()) << op.op << " " << op.path << ": " << status;
    }
    return dir;
  }

  void ExpectSameFiles(const std::string& a, const std::string& b) {
    for (const char* feed : {"metadata", "content"}) {
      auto la = fs_->List(env::JoinPath(a, feed));
      auto lb = fs_->List(env::JoinPath(b, feed));
      ASSERT_TRUE(la.ok() && lb.ok());
      std::vector<std::string> na, nb;
      for (const auto& e : *la) na.push_back(e.name);
      for (const auto& e : *lb) nb.push_back(e.name);
      EXPECT_EQ(na, nb) << feed;
      for (const std::string& name : na) {
        const std::string path = absl::StrCat(feed, "/", name);
        auto da = env::ReadFile(*fs_, env::JoinPath(a, path), 1u << 30);
        auto db = env::ReadFile(*fs_, env::JoinPath(b, path), 1u << 30);
        ASSERT_TRUE(da.ok() && db.ok()) << path;
        EXPECT_EQ(da->size(), db->size()) << path;
        EXPECT_TRUE(*da == *db) << path << " differs";
      }
    }
  }

  env::FileSystem* fs_ = env::DefaultFileSystem();
  std::string tmp_;
};

TEST_P(DriveInteropTest, SameKeyOperationsAndTimesGiveByteIdenticalArchives) {
  for (const char* workload : {"site.workload", "quirks.workload"}) {
    SCOPED_TRACE(workload);
    ExpectSameFiles(WriteWithReference(workload), WriteWithEvermirror(workload));
  }
}

TEST_P(DriveInteropTest, EvermirrorReadsEveryVersionOfAReferenceArchiveAsTheReferenceDoes) {
  for (const char* workload : {"site.workload", "quirks.workload"}) {
    SCOPED_TRACE(workload);
    const std::string dir = WriteWithReference(workload);
    NodeRun ref = RunNode(GetParam(), "ref_read.js", dir);
    ASSERT_EQ(ref.exit_code, 0) << ref.output;
    auto archive = Archive::Open(fs_, dir);
    ASSERT_TRUE(archive.ok()) << archive.status();
    const std::vector<std::string> theirs = DumpLines(ref.output);
    EXPECT_GT(theirs.size(), 50u);
    EXPECT_EQ(DumpWithEvermirror(**archive), theirs);
  }
}

TEST_P(DriveInteropTest, ReferenceDeleteQuirkIsReproducedAndReadTheSame) {
  auto archive = Archive::Open(fs_, WriteWithReference("quirks.workload")).value();
  // Version 6 deleted /a/b; append-tree's delete also dropped /a/x/1 (see publish.cc).
  EXPECT_TRUE(archive->Checkout(5)->Lookup("/a/x/1").ok());
  EXPECT_TRUE(absl::IsNotFound(archive->Checkout(6)->Lookup("/a/x/1").status()));
}

TEST_P(DriveInteropTest, ReferenceReadsEveryFileOfAFolderEvermirrorPublished) {
  const std::string folder = tmp_ + "/site";
  const std::string storage = tmp_ + "/published";
  const std::vector<Op> ops = ParseWorkload("site.workload");
  std::map<std::string, std::string> model;  // the folder: path -> bytes
  auto apply = [&](const Op& op) {
    const std::string disk = folder + op.path;
    if (op.op == "del") {
      ASSERT_TRUE(fs_->RemoveAll(disk).ok());
      model.erase(op.path);
      return;
    }
    ASSERT_TRUE(fs_->CreateDirs(env::DirName(disk)).ok());
    ASSERT_TRUE(env::WriteFileAtomic(*fs_, disk, op.data).ok());
    model[op.path] = op.data;
  };
  auto archive = Archive::Create(fs_, storage, crypto::GenerateKeyPair()).value();
  std::vector<std::pair<uint64_t, std::map<std::string, std::string>>> published;
  for (size_t i = 0; i < ops.size(); ++i) {
    apply(ops[i]);
    if (i == 7 || i + 1 == ops.size()) {  // first publish before the overwrite, then the rest
      auto report = PublishFolder(*archive, *fs_, folder);
      ASSERT_TRUE(report.ok()) << report.status();
      published.emplace_back(report->version_after, model);
    }
  }
  ASSERT_EQ(published.size(), 2u);
  // evermirror's own reading of both published versions matches the folder then.
  for (const auto& [version, files] : published) {
    Snapshot snap = archive->Checkout(version).value();
    auto listed = snap.ListFiles("/").value();
    ASSERT_EQ(listed.size(), files.size()) << version;
    for (const auto& [path, stat] : listed) EXPECT_TRUE(snap.ReadFile(path, 1u << 30).value() == files.at(path)) << path;
  }
  // The reference reads every version file by file exactly as evermirror does.
  archive.reset();
  NodeRun ref = RunNode(GetParam(), "ref_read.js", storage);
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  const std::vector<std::string> theirs = DumpLines(ref.output);
  auto reopened = Archive::Open(fs_, storage).value();
  EXPECT_EQ(DumpWithEvermirror(*reopened), theirs);
  // And what it read at the last version is the folder's content.
  const std::string last = absl::StrCat(published.back().first);
  size_t files = 0;
  for (const std::string& line : theirs) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f[0] != "F" || f[1] != last) continue;
    ++files;
    EXPECT_EQ(f[6], Sha256Hex(model.at(f[2]))) << f[2];
  }
  EXPECT_EQ(files, model.size());
}

INSTANTIATE_TEST_SUITE_P(Reference, DriveInteropTest, ::testing::Values("hyperdrive9", "hyperdrive9-16"),
                         [](const auto& info) { return info.param == "hyperdrive9" ? "v9_14_2" : "v9_16_0"; });

}  // namespace
}  // namespace evermirror::drive
