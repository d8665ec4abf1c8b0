#include "services/cli/site_commands.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "services/cli/args.h"
#include "services/cli/keep_here.h"
#include "services/cli/site_node.h"
#include "shared/base/hex.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/drive/archive.h"
#include "shared/drive/publish.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::cli {
namespace {

constexpr char kLinkFile[] = ".evermirror-site";
constexpr char kOfflineNote[] =
    "note: no evermirror node is running here, so this site is stored offline and nobody seeds it;\n"
    "      to have a box mirror a site, create it while `evermirror up` runs\n";
constexpr char kUsage[] =
    "usage: evermirror site create DIR | publish DIR | ls KEY [PATH] [--version N] | cat KEY PATH [--version N]\n"
    "                       | info KEY | log KEY      (read commands also take --storage ARCHIVE_DIR)\n"
    "create and publish go through the running evermirror node (--replicator ADDRESS, default 127.0.0.1:7401),\n"
    "whose ingest (--ingest ADDRESS, default 127.0.0.1:7403) then announces, seeds and serves the site\n";

// A key as people write it: 64 hex characters or 52 z-base-32 ones, optionally as dat://KEY/...
absl::StatusOr<crypto::PublicKey> ParseKey(std::string_view text) {
  std::string_view key = text;
  if (key.substr(0, 6) == "dat://") key.remove_prefix(6);
  key = key.substr(0, key.find('/'));
  std::optional<std::string> raw;
  if (key.size() == 64) raw = FromHex(key);
  if (key.size() == 52) raw = FromZBase32(key);
  if (!raw.has_value() || raw->size() != crypto::kPublicKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("bad site key \"", ToAbsl(text),
                                                   "\": expected 64 hex or 52 z-base-32 characters"));
  }
  return crypto::ToArray<crypto::kPublicKeySize>(*raw);
}

bool LooksLikeKey(std::string_view text) { return ParseKey(text).ok(); }

std::string Hex(const crypto::PublicKey& key) { return ToHex(crypto::AsView(key)); }

std::string Time(uint64_t ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(static_cast<int64_t>(ms)), absl::UTCTimeZone());
}

class SiteCli {
 public:
  SiteCli(SiteEnvironment& env, const Args& args) : env_(env), args_(args) {}

  absl::Status Create() {
    EM_RETURN_IF_ERROR(args_.ExpectPositional(1, 1, "evermirror site create DIR"));
    const std::string dir = args_.positional()[0];
    EM_RETURN_IF_ERROR(RequireFolder(dir));
    const std::string link = env::JoinPath(dir, kLinkFile);
    if (env_.fs->Exists(link)) {
      return absl::AlreadyExistsError(absl::StrCat(dir, " is already a site (", link, "); publish it instead"));
    }
    EM_ASSIGN_OR_RETURN(std::unique_ptr<SiteNode> node, Node());
    if (node != nullptr) {
      EM_ASSIGN_OR_RETURN(crypto::PublicKey key, node->Create());
      EM_RETURN_IF_ERROR(env::WriteFileAtomic(*env_.fs, link, Hex(key) + "\n"));
      KeepOnNode(key);
      Print("created site dat://%s\n  folder   %s\n  stored   by the evermirror node at %s, which seeds it\n"
            "publish it with: evermirror site publish %s\n",
            Hex(key), dir, node->address(), dir);
      return absl::OkStatus();
    }
    crypto::KeyPair key_pair = crypto::GenerateKeyPair();
    const std::string storage = SiteDir(key_pair.public_key);
    EM_RETURN_IF_ERROR(env_.fs->CreateDirs(storage));
    EM_ASSIGN_OR_RETURN(auto archive, drive::Archive::Create(env_.fs, storage, key_pair));
    EM_RETURN_IF_ERROR(env::WriteFileAtomic(*env_.fs, link, Hex(archive->key()) + "\n"));
    Print("created site dat://%s\n  folder   %s\n  storage  %s\npublish it with: evermirror site publish %s\n",
          Hex(archive->key()), dir, storage, dir);
    if (!env_.node_address.empty()) Print("%s", kOfflineNote);
    return absl::OkStatus();
  }

  absl::Status Publish() {
    EM_RETURN_IF_ERROR(args_.ExpectPositional(1, 1, "evermirror site publish DIR"));
    const std::string dir = args_.positional()[0];
    EM_RETURN_IF_ERROR(RequireFolder(dir));
    absl::StatusOr<std::string> link = env::ReadFile(*env_.fs, env::JoinPath(dir, kLinkFile), 1024);
    if (absl::IsNotFound(link.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir, " is not a site folder: run `evermirror site create ", dir, "` first"));
    }
    EM_RETURN_IF_ERROR(link.status());
    absl::StatusOr<crypto::PublicKey> key = ParseKey(ToStd(absl::StripAsciiWhitespace(*link)));
    if (!key.ok()) return absl::DataLossError(absl::StrCat(dir, "/", kLinkFile, ": ", key.status().message()));
    if (!env_.fs->Exists(SiteDir(*key))) return PublishOnNode(*key, dir);
    EM_ASSIGN_OR_RETURN(auto archive, OpenStored(*key));
    if (!archive->writable()) {
      return absl::FailedPreconditionError(absl::StrCat("site ", Hex(*key), " is read-only on this machine: its secret key is not in ",
                                                        SiteDir(*key), "/metadata"));
    }
    drive::PublishOptions options;
    if (env_.terminal) options.on_progress = [this](const drive::PublishProgress& p) { DrawProgress(p); };
    EM_ASSIGN_OR_RETURN(drive::PublishReport report, drive::PublishFolder(*archive, *env_.fs, dir, options));
    if (drew_progress_) env_.out("\n");
    for (const std::string& warning : report.warnings) env_.err(absl::StrCat("warning: ", warning, "\n"));
    Print("site      dat://%s\nversion   %d (was %d)\n", Hex(archive->key()), report.version_after, report.version_before);
    Print("files     %d added, %d modified (%d reusing stored content), %d deleted, %d unchanged\n",
          report.added.size(), report.modified.size(), report.reused_content, report.deleted.size(), report.unchanged);
    Print("appended  %d bytes (%d content, %d metadata)\n", report.bytes_appended(), report.content_bytes_appended,
          report.metadata_bytes_appended);
    return absl::OkStatus();
  }

  // A site created through the node (it is not in local storage): the node publishes it.
  absl::Status PublishOnNode(const crypto::PublicKey& key, const std::string& dir) {
    EM_ASSIGN_OR_RETURN(std::unique_ptr<SiteNode> node, Node());
    if (node == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "site ", Hex(key), " is not in ", SiteDir(key), " and no evermirror node answers at ",
          env_.node_address.empty() ? "(none given)" : env_.node_address,
          ": start the node that stores it (`evermirror up`) or pass --replicator ADDRESS"));
    }
    EM_ASSIGN_OR_RETURN(bool owned, node->Owns(key));
    if (!owned) {
      return absl::NotFoundError(absl::StrCat("site ", Hex(key), " is neither in ", SiteDir(key),
                                              " nor stored by the evermirror node at ", node->address()));
    }
    std::function<void(const drive::PublishProgress&)> progress;
    if (env_.terminal) progress = [this](const drive::PublishProgress& p) { DrawProgress(p); };
    EM_ASSIGN_OR_RETURN(replicator::v1::PublishReport report, node->Publish(key, dir, progress));
    if (drew_progress_) env_.out("\n");
    for (const std::string& warning : report.warnings()) env_.err(absl::StrCat("warning: ", warning, "\n"));
    Print("site      dat://%s\nversion   %d (was %d)\n", Hex(key), report.version_after(), report.version_before());
    Print("files     %d added, %d modified, %d deleted, %d unchanged\n", report.added_size(), report.modified_size(),
          report.deleted_size(), report.unchanged());
    Print("appended  %d bytes, seeded by the evermirror node at %s\n", report.bytes_appended(), node->address());
    KeepOnNode(key);
    return absl::OkStatus();
  }

  // The node announces, seeds and serves the sites it authors (keep_here.h). Best effort: the
  // site is stored either way, and the next publish tries again.
  void KeepOnNode(const crypto::PublicKey& key) {
    const std::string address = args_.GetOr("ingest", env_.ingest_address);
    if (address.empty()) return;
    IngestClient ingest(address);
    absl::Status kept = KeepHere(ingest, Hex(key));
    if (kept.ok()) return;
    env_.err(absl::StrCat("note: the site is stored but not announced to peers yet: ", kept.message(),
                          "\n      (publishing again once the node's ingest runs announces it)\n"));
  }

  // The running node, or nullptr when none answers (or none is configured).
  absl::StatusOr<std::unique_ptr<SiteNode>> Node() {
    const std::string address = args_.GetOr("replicator", env_.node_address);
    if (address.empty()) return std::unique_ptr<SiteNode>();
    return SiteNode::IfRunning(address);
  }

  absl::Status Ls() {
    EM_ASSIGN_OR_RETURN(auto archive, OpenForRead(0, 1, "evermirror site ls KEY [PATH] [--version N]"));
    EM_ASSIGN_OR_RETURN(drive::Snapshot snap, At(*archive));
    const std::string path = rest_.empty() ? "/" : rest_[0];
    EM_ASSIGN_OR_RETURN(drive::Stat stat, snap.Lookup(path));
    if (stat.IsFile()) {
      PrintEntry(path, stat);
      return absl::OkStatus();
    }
    EM_ASSIGN_OR_RETURN(std::vector<drive::DirEntry> entries, snap.List(path));
    for (const drive::DirEntry& e : entries) PrintEntry(e.name, e.stat);
    return absl::OkStatus();
  }

  absl::Status Cat() {
    EM_ASSIGN_OR_RETURN(auto archive, OpenForRead(1, 1, "evermirror site cat KEY PATH [--version N]"));
    EM_ASSIGN_OR_RETURN(drive::Snapshot snap, At(*archive));
    EM_ASSIGN_OR_RETURN(drive::Stat stat, snap.Lookup(rest_[0]));
    if (!stat.IsFile()) return absl::FailedPreconditionError(absl::StrCat(rest_[0], " is a directory"));
    return snap.ReadContent(stat, 0, stat.size, [this](std::string_view piece) {
      env_.out(piece);
      return absl::OkStatus();
    });
  }

  absl::Status Info() {
    EM_ASSIGN_OR_RETURN(auto archive, OpenForRead(0, 0, "evermirror site info KEY"));
    drive::Snapshot latest = archive->Latest();
    EM_ASSIGN_OR_RETURN(auto files, latest.ListFiles("/"));
    uint64_t bytes = 0;
    for (const auto& [path, stat] : files) bytes += stat.size;
    Print("site            dat://%s\n", Hex(archive->key()));
    Print("discovery key   %s\n", ToHex(crypto::AsView(archive->metadata().discovery_key())));
    Print("content key     %s\n", Hex(archive->content_key()));
    Print("version         %d\n", archive->version());
    Print("files           %d (%d bytes at the latest version)\n", files.size(), bytes);
    Print("metadata        %d blocks, %d bytes, %d stored\n", archive->metadata().length(),
          archive->metadata().byte_length(), archive->metadata().downloaded());
    Print("content         %d blocks, %d bytes, %d stored\n", archive->content().length(),
          archive->content().byte_length(), archive->content().downloaded());
    Print("writable        %s\nstorage         %s\n", archive->writable() ? "yes" : "no", storage_);
    return absl::OkStatus();
  }

  absl::Status Log() {
    EM_ASSIGN_OR_RETURN(auto archive, OpenForRead(0, 0, "evermirror site log KEY"));
    for (uint64_t v = 0; v <= archive->version(); ++v) {
      EM_ASSIGN_OR_RETURN(drive::Change change, archive->reader().ChangeAt(v));
      std::string detail;
      if (change.kind == drive::Change::Kind::kPut) {
        detail = absl::StrFormat("  %d bytes, %s", change.stat.size, Time(change.stat.mtime_ms));
      }
      Print("%6d  %-6s  %s%s\n", v, drive::ChangeKindName(change.kind), change.path, detail);
    }
    return absl::OkStatus();
  }

 private:
  template <typename... A>
  void Print(const absl::FormatSpec<A...>& format, const A&... a) {
    env_.out(absl::StrFormat(format, a...));
  }

  void PrintEntry(const std::string& name, const drive::Stat& stat) {
    if (stat.IsDirectory() && !stat.IsFile()) {
      Print("d  %12s  %19s  %s/\n", "-", stat.mtime_ms ? Time(stat.mtime_ms) : "-", name);
    } else {
      Print("-  %12d  %19s  %s\n", stat.size, Time(stat.mtime_ms), name);
    }
  }

  void DrawProgress(const drive::PublishProgress& p) {
    drew_progress_ = true;
    const int width = 30;
    const int filled = p.bytes_total ? static_cast<int>(width * p.bytes_done / p.bytes_total) : width;
    env_.out(absl::StrFormat("\r[%s%s] %d/%d files  %.1f/%.1f MB", std::string(filled, '#'),
                             std::string(width - filled, ' '), p.files_done, p.files_total, p.bytes_done / 1e6,
                             p.bytes_total / 1e6));
  }

  absl::Status RequireFolder(const std::string& dir) {
    absl::StatusOr<env::FileInfo> info = env_.fs->Stat(dir);
    if (absl::IsNotFound(info.status())) return absl::NotFoundError(absl::StrCat(dir, ": no such folder"));
    EM_RETURN_IF_ERROR(info.status());
    if (info->type != env::FileType::kDirectory) return absl::NotFoundError(absl::StrCat(dir, ": not a folder"));
    return absl::OkStatus();
  }

  std::string SiteDir(const crypto::PublicKey& key) const {
    return env::JoinPath(env::JoinPath(env_.home, "sites"), Hex(key));
  }

  absl::StatusOr<std::unique_ptr<drive::Archive>> OpenStored(const crypto::PublicKey& key) {
    storage_ = SiteDir(key);
    absl::StatusOr<std::unique_ptr<drive::Archive>> archive = drive::Archive::Open(env_.fs, storage_);
    if (absl::IsNotFound(archive.status())) {
      return absl::NotFoundError(absl::StrCat("site ", Hex(key), " is not stored on this machine (looked in ", storage_, ")"));
    }
    return archive;
  }

  // Opens the archive the positionals name: KEY, or --storage DIR (KEY then optional); the
  // remaining `min`..`max` positionals are left in rest_.
  absl::StatusOr<std::unique_ptr<drive::Archive>> OpenForRead(size_t min, size_t max, const std::string& usage) {
    std::vector<std::string> pos = args_.positional();
    std::optional<crypto::PublicKey> key;
    const std::optional<std::string> storage = args_.Get("storage");
    if (!storage.has_value() || (!pos.empty() && pos.size() > min && LooksLikeKey(pos[0]))) {
      if (pos.empty()) return absl::InvalidArgumentError(absl::StrCat("usage: ", usage));
      EM_ASSIGN_OR_RETURN(key, ParseKey(pos[0]));
      pos.erase(pos.begin());
    }
    if (pos.size() < min || pos.size() > max) return absl::InvalidArgumentError(absl::StrCat("usage: ", usage));
    rest_ = pos;
    if (!storage.has_value()) return OpenStored(*key);
    storage_ = *storage;
    EM_ASSIGN_OR_RETURN(auto archive, drive::Archive::Open(env_.fs, storage_));
    if (key.has_value() && *key != archive->key()) {
      return absl::FailedPreconditionError(absl::StrCat(storage_, " holds site ", Hex(archive->key()), ", not ", Hex(*key)));
    }
    return archive;
  }

  absl::StatusOr<drive::Snapshot> At(drive::Archive& archive) {
    const std::optional<std::string> text = args_.Get("version");
    if (!text.has_value()) return archive.Latest();
    uint64_t version = 0;
    if (!absl::SimpleAtoi(*text, &version)) return absl::InvalidArgumentError(absl::StrCat("bad --version ", *text));
    return archive.Checkout(version);
  }

  SiteEnvironment& env_;
  const Args& args_;
  std::vector<std::string> rest_;
  std::string storage_;
  bool drew_progress_ = false;
};

}  // namespace

int RunSite(const std::vector<std::string>& words, SiteEnvironment& environment) {
  using Method = absl::Status (SiteCli::*)();
  const std::map<std::string, Method> commands = {{"create", &SiteCli::Create}, {"publish", &SiteCli::Publish},
                                                   {"ls", &SiteCli::Ls},         {"cat", &SiteCli::Cat},
                                                   {"info", &SiteCli::Info},     {"log", &SiteCli::Log}};
  const std::string sub = words.empty() ? "" : words[0];
  auto it = commands.find(sub);
  if (it == commands.end()) {
    environment.err(kUsage);
    return 2;
  }
  std::vector<char*> argv;
  for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  absl::StatusOr<Args> args = Args::Parse(static_cast<int>(argv.size()), argv.data(), 1, {"version", "storage", "replicator", "ingest"}, {});
  absl::Status status = args.status();
  if (args.ok()) {
    SiteCli cli(environment, *args);
    status = (cli.*(it->second))();
  }
  if (!status.ok()) {
    environment.err(absl::StrCat("evermirror site ", sub, ": ", status.message(), "\n"));
    return absl::IsInvalidArgument(status) ? 2 : 1;
  }
  return 0;
}

int RunSiteCommand(int argc, char** argv) {
  SiteEnvironment environment;
  environment.fs = env::DefaultFileSystem();
  if (const char* home = std::getenv("EVERMIRROR_HOME"); home != nullptr && *home != '\0') {
    environment.home = home;
  } else {
    const char* user_home = std::getenv("HOME");
    environment.home = env::JoinPath(user_home != nullptr ? user_home : ".", ".evermirror");
  }
  environment.out = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); };
  environment.err = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stderr); };
  environment.terminal = ::isatty(STDOUT_FILENO) == 1;
  const char* node = std::getenv("EVERMIRROR_REPLICATOR");
  environment.node_address = node != nullptr ? node : "127.0.0.1:7401";
  const char* ingest = std::getenv("EVERMIRROR_INGEST_ADDRESS");
  environment.ingest_address = ingest != nullptr ? ingest : "127.0.0.1:7403";
  std::vector<std::string> words(argv + std::min(argc, 2), argv + argc);
  return RunSite(words, environment);
}

}  // namespace evermirror::cli
