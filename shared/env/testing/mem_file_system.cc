#include "shared/env/testing/mem_file_system.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "shared/base/strings.h"
#include "shared/env/random.h"

namespace evermirror::env {
namespace {

struct Op {
  bool truncate = false;
  uint64_t offset = 0;  // write offset, or the new size for a truncate
  std::string data;
};

struct Node {
  std::string current;  // what reads see
  std::string durable;  // what survives a power loss
  std::vector<Op> unsynced;
  uint32_t mode = 0644;
  absl::Time mtime = absl::UnixEpoch();
};

void Apply(std::string* content, const Op& op) {
  if (op.truncate) {
    content->resize(op.offset);
    return;
  }
  if (content->size() < op.offset + op.data.size()) content->resize(op.offset + op.data.size());
  std::copy(op.data.begin(), op.data.end(), content->begin() + static_cast<ptrdiff_t>(op.offset));
}

// "./a//b/" -> "a/b"; keeps a leading "/".
std::string Normalize(std::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view p : absl::StrSplit(ToAbsl(path), '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    parts.push_back(p);
  }
  std::string out = (!path.empty() && path[0] == '/') ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) absl::StrAppend(&out, i ? "/" : "", parts[i]);
  return out.empty() ? "." : out;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

}  // namespace

struct MemFileSystem::State {
  absl::Mutex mu;
  std::map<std::string, std::shared_ptr<Node>> files ABSL_GUARDED_BY(mu);
  std::set<std::string> dirs ABSL_GUARDED_BY(mu);
  uint64_t tick ABSL_GUARDED_BY(mu) = 0;  // a fake mtime source: strictly increasing

  bool ParentExists(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const std::string parent = DirName(path);
    return parent == "." || parent == "/" || dirs.count(parent) > 0;
  }
};

namespace {

class MemFile final : public File {
 public:
  MemFile(std::shared_ptr<MemFileSystem::State> state, std::shared_ptr<Node> node, bool writable)
      : state_(std::move(state)), node_(std::move(node)), writable_(writable) {}

  absl::Status ReadAt(uint64_t offset, size_t n, std::string* out) override {
    absl::MutexLock lock(&state_->mu);
    const std::string& c = node_->current;
    if (offset >= c.size()) {
      out->clear();
      return absl::OkStatus();
    }
    out->assign(c, offset, std::min<uint64_t>(n, c.size() - offset));
    return absl::OkStatus();
  }

  absl::Status WriteAt(uint64_t offset, std::string_view data) override {
    if (!writable_) return absl::PermissionDeniedError("file opened read-only");
    absl::MutexLock lock(&state_->mu);
    Op op{false, offset, std::string(data)};
    Apply(&node_->current, op);
    node_->unsynced.push_back(std::move(op));
    node_->mtime = absl::FromUnixSeconds(static_cast<int64_t>(++state_->tick));
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    absl::MutexLock lock(&state_->mu);
    return node_->current.size();
  }

  absl::Status Truncate(uint64_t size) override {
    if (!writable_) return absl::PermissionDeniedError("file opened read-only");
    absl::MutexLock lock(&state_->mu);
    Op op{true, size, {}};
    Apply(&node_->current, op);
    node_->unsynced.push_back(std::move(op));
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    absl::MutexLock lock(&state_->mu);
    node_->durable = node_->current;
    node_->unsynced.clear();
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<MemFileSystem::State> state_;
  std::shared_ptr<Node> node_;
  const bool writable_;
};

}  // namespace

MemFileSystem::MemFileSystem() : state_(std::make_shared<State>()) {}
MemFileSystem::~MemFileSystem() = default;

absl::StatusOr<std::unique_ptr<File>> MemFileSystem::Open(const std::string& raw, OpenMode mode) {
  const std::string path = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  if (state_->dirs.count(path)) return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  auto it = state_->files.find(path);
  if (it != state_->files.end()) {
    if (mode == OpenMode::kReadWriteNew) return absl::AlreadyExistsError(absl::StrCat(path, ": exists"));
    return std::unique_ptr<File>(new MemFile(state_, it->second, mode != OpenMode::kReadOnly));
  }
  if (mode == OpenMode::kReadOnly) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  if (!state_->ParentExists(path)) return absl::NotFoundError(absl::StrCat(path, ": no such directory"));
  auto node = std::make_shared<Node>();
  state_->files.emplace(path, node);
  return std::unique_ptr<File>(new MemFile(state_, node, true));
}

absl::Status MemFileSystem::CreateDirs(const std::string& raw) {
  const std::string path = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  std::string prefix = path[0] == '/' ? "/" : "";
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    prefix = (prefix.empty() || prefix == "/") ? absl::StrCat(prefix, p) : absl::StrCat(prefix, "/", p);
    if (state_->files.count(prefix)) return absl::AlreadyExistsError(absl::StrCat(prefix, ": is a file"));
    state_->dirs.insert(prefix);
  }
  return absl::OkStatus();
}

absl::StatusOr<FileInfo> MemFileSystem::Stat(const std::string& raw) {
  const std::string path = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  FileInfo info;
  if (path == "." || path == "/" || state_->dirs.count(path)) {
    info.type = FileType::kDirectory;
    info.mode = 0755;
    return info;
  }
  auto it = state_->files.find(path);
  if (it == state_->files.end()) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  info.size = it->second->current.size();
  info.mode = it->second->mode;
  info.mtime = it->second->mtime;
  return info;
}

absl::StatusOr<std::vector<DirEntry>> MemFileSystem::List(const std::string& raw) {
  const std::string dir = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  if (dir != "." && dir != "/" && !state_->dirs.count(dir)) {
    return absl::NotFoundError(absl::StrCat(dir, ": no such directory"));
  }
  auto child = [&](const std::string& p) -> std::string {
    if (dir == ".") return p.find('/') == std::string::npos && p[0] != '/' ? p : "";
    if (!IsUnder(p, dir) && !(dir == "/" && p.size() > 1 && p[0] == '/')) return "";
    std::string rest = p.substr(dir == "/" ? 1 : dir.size() + 1);
    return rest.find('/') == std::string::npos ? rest : "";
  };
  std::vector<DirEntry> out;
  for (const auto& [p, node] : state_->files) {
    std::string name = child(p);
    if (name.empty()) continue;
    FileInfo info;
    info.size = node->current.size();
    info.mode = node->mode;
    info.mtime = node->mtime;
    out.push_back({name, info});
  }
  for (const std::string& d : state_->dirs) {
    std::string name = child(d);
    if (name.empty()) continue;
    FileInfo info;
    info.type = FileType::kDirectory;
    info.mode = 0755;
    out.push_back({name, info});
  }
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

absl::Status MemFileSystem::RemoveAll(const std::string& raw) {
  const std::string path = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  state_->files.erase(path);
  state_->dirs.erase(path);
  for (auto it = state_->files.begin(); it != state_->files.end();) {
    it = IsUnder(it->first, path) ? state_->files.erase(it) : std::next(it);
  }
  for (auto it = state_->dirs.begin(); it != state_->dirs.end();) {
    it = IsUnder(*it, path) ? state_->dirs.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

absl::Status MemFileSystem::Rename(const std::string& raw_from, const std::string& raw_to) {
  const std::string from = Normalize(raw_from);
  const std::string to = Normalize(raw_to);
  absl::MutexLock lock(&state_->mu);
  auto it = state_->files.find(from);
  if (it == state_->files.end()) return absl::NotFoundError(absl::StrCat(from, ": no such file"));
  if (!state_->ParentExists(to)) return absl::NotFoundError(absl::StrCat(to, ": no such directory"));
  auto node = it->second;
  state_->files.erase(it);
  state_->files[to] = std::move(node);
  return absl::OkStatus();
}

absl::Status MemFileSystem::SetPermissions(const std::string& raw, uint32_t mode) {
  const std::string path = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  auto it = state_->files.find(path);
  if (it == state_->files.end()) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  it->second->mode = mode;
  return absl::OkStatus();
}

absl::Status MemFileSystem::SyncDir(const std::string&) { return absl::OkStatus(); }

void MemFileSystem::Crash(CrashMode mode, uint64_t seed) {
  SeededRandom rng(seed);
  absl::MutexLock lock(&state_->mu);
  for (auto& [path, node] : state_->files) {
    switch (mode) {
      case CrashMode::kKeepAll:
        node->durable = node->current;
        break;
      case CrashMode::kDropUnsynced:
        node->current = node->durable;
        break;
      case CrashMode::kKeepRandomSubset:
        for (Op& op : node->unsynced) {
          if (rng.Uniform(2) == 0) continue;  // lost
          if (!op.truncate && !op.data.empty() && rng.Uniform(4) == 0) {
            op.data.resize(rng.Uniform(op.data.size()));  // torn
          }
          Apply(&node->durable, op);
        }
        node->current = node->durable;
        break;
    }
    node->unsynced.clear();
  }
}

absl::StatusOr<std::string> MemFileSystem::Contents(const std::string& raw) {
  const std::string path = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  auto it = state_->files.find(path);
  if (it == state_->files.end()) return absl::NotFoundError(path);
  return it->second->current;
}

void MemFileSystem::SetContents(const std::string& raw, std::string data) {
  const std::string path = Normalize(raw);
  absl::MutexLock lock(&state_->mu);
  auto& node = state_->files[path];
  if (!node) node = std::make_shared<Node>();
  node->current = data;
  node->durable = std::move(data);
  node->unsynced.clear();
}

}  // namespace evermirror::env
