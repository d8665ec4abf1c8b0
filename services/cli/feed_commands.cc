#include "services/cli/feed_commands.h"

#include <cstdio>
#include <functional>

#include "absl/strings/str_cat.h"
#include "services/cli/args.h"
#include "shared/base/hex.h"
#include "shared/base/status_macros.h"
#include "shared/env/posix_file_system.h"
#include "shared/hypercore/feed.h"

namespace evermirror::cli {
namespace {

constexpr uint64_t kChunk = 64 * 1024;  // files larger than this are split, as hyperdrive does

// Every regular file under `root`, sorted by path; symlinks and special files are skipped.
absl::Status CollectFiles(env::FileSystem& fs, const std::string& root, const std::string& rel,
                          std::vector<std::string>* out) {
  EM_ASSIGN_OR_RETURN(std::vector<env::DirEntry> entries, fs.List(env::JoinPath(root, rel)));
  for (const env::DirEntry& e : entries) {
    const std::string path = rel.empty() ? e.name : env::JoinPath(rel, e.name);
    if (e.info.type == env::FileType::kDirectory) {
      EM_RETURN_IF_ERROR(CollectFiles(fs, root, path, out));
    } else if (e.info.type == env::FileType::kRegular) {
      out->push_back(path);
    } else {
      std::fprintf(stderr, "skipping %s (not a regular file)\n", path.c_str());
    }
  }
  return absl::OkStatus();
}

void PrintFeed(hypercore::Feed& feed, const std::string& storage) {
  std::printf("key            %s\n", ToHex(crypto::AsView(feed.key())).c_str());
  std::printf("discovery key  %s\n", ToHex(crypto::AsView(feed.discovery_key())).c_str());
  std::printf("length         %llu blocks\n", static_cast<unsigned long long>(feed.length()));
  std::printf("byte length    %llu bytes\n", static_cast<unsigned long long>(feed.byte_length()));
  std::printf("downloaded     %llu blocks\n", static_cast<unsigned long long>(feed.downloaded()));
  std::printf("writable       %s\n", feed.writable() ? "yes" : "no");
  std::printf("storage        %s\n", storage.c_str());
}

// Creates a feed in --storage and appends every file of FOLDER (one block per 64 KiB chunk,
// one signed append per file).
absl::Status Demo(const Args& args) {
  EM_RETURN_IF_ERROR(args.ExpectPositional(1, 1, "evermirror feed demo FOLDER --storage DIR"));
  const std::string folder = args.positional()[0];
  const std::string storage = args.GetOr("storage", "evermirror-demo-feed");
  env::FileSystem& fs = *env::DefaultFileSystem();
  absl::StatusOr<env::FileInfo> info = fs.Stat(folder);
  if (!info.ok() || info->type != env::FileType::kDirectory) {
    return absl::NotFoundError(absl::StrCat(folder, ": not a folder"));
  }
  std::vector<std::string> files;
  EM_RETURN_IF_ERROR(CollectFiles(fs, folder, "", &files));
  EM_ASSIGN_OR_RETURN(auto feed, hypercore::Feed::Create(&fs, storage, crypto::GenerateKeyPair()));
  for (const std::string& file : files) {
    EM_ASSIGN_OR_RETURN(std::string content, env::ReadFile(fs, env::JoinPath(folder, file), uint64_t{1} << 32));
    std::vector<std::string_view> blocks;
    for (uint64_t off = 0; off < content.size() || blocks.empty(); off += kChunk) {
      blocks.push_back(std::string_view(content).substr(off, kChunk));
    }
    EM_RETURN_IF_ERROR(feed->AppendBatch(blocks).status());
    std::printf("appended %-40s %8zu bytes in %zu block(s)\n", file.c_str(), content.size(), blocks.size());
  }
  std::printf("\n");
  PrintFeed(*feed, storage);
  return absl::OkStatus();
}

absl::Status Info(const Args& args) {
  EM_RETURN_IF_ERROR(args.ExpectPositional(1, 1, "evermirror feed info STORAGE_DIR"));
  EM_ASSIGN_OR_RETURN(auto feed, hypercore::Feed::Open(env::DefaultFileSystem(), args.positional()[0]));
  PrintFeed(*feed, args.positional()[0]);
  return absl::OkStatus();
}

absl::Status Cat(const Args& args) {
  EM_RETURN_IF_ERROR(args.ExpectPositional(2, 2, "evermirror feed cat STORAGE_DIR INDEX"));
  uint64_t index = 0;
  if (!absl::SimpleAtoi(args.positional()[1], &index)) {
    return absl::InvalidArgumentError(absl::StrCat("not a block index: ", args.positional()[1]));
  }
  EM_ASSIGN_OR_RETURN(auto feed, hypercore::Feed::Open(env::DefaultFileSystem(), args.positional()[0]));
  EM_ASSIGN_OR_RETURN(std::string block, feed->Get(index));
  std::fwrite(block.data(), 1, block.size(), stdout);
  return absl::OkStatus();
}

}  // namespace

int RunFeedCommand(int argc, char** argv) {
  const std::string sub = argc > 2 ? argv[2] : "";
  const std::map<std::string, std::function<absl::Status(const Args&)>> commands = {
      {"demo", Demo}, {"info", Info}, {"cat", Cat}};
  auto it = commands.find(sub);
  if (it == commands.end()) {
    std::fprintf(stderr, "usage: evermirror feed demo FOLDER --storage DIR | info DIR | cat DIR INDEX\n");
    return 2;
  }
  absl::StatusOr<Args> args = Args::Parse(argc, argv, 3, {"storage"}, {});
  absl::Status status = args.ok() ? it->second(*args) : args.status();
  if (!status.ok()) {
    std::fprintf(stderr, "evermirror feed %s: %s\n", sub.c_str(), std::string(status.message()).c_str());
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace evermirror::cli
