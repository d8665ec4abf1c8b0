// MemSiteSource: an in-memory SiteSource for tests of the gateway's HTTP logic and for the
// gateway benchmark. Sites are built version by version with Publish(); each call makes a new
// version from the previous one, so unchanged files keep their content ids (and ETags).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/site_source.h"

namespace evermirror::gateway {

// Thread-safe. Change callbacks run on the thread that made the change, after its lock is
// released.
class MemSiteSource final : public SiteSource {
 public:
  MemSiteSource() = default;

  // Adds an empty site (no version yet: served_version 0). `alias`, if not empty, resolves
  // to it and is reported in SiteInfo.
  void AddSite(std::string_view key, std::string_view alias = "");
  // Adds one more alias for a site (e.g. a full domain).
  void AddAlias(std::string_view alias, std::string_view key);
  // Stops mirroring a site; notifies kRemoved.
  void RemoveSite(std::string_view key);

  // Makes version latest+1 from the latest one: writes `files` (path -> bytes) and removes
  // `removed`. When `complete`, it becomes the served version too. Returns the new version.
  // REQUIRES: the site exists; paths are normalised (no leading '/').
  uint64_t Publish(std::string_view key, const std::map<std::string, std::string>& files,
                   const std::vector<std::string>& removed = {}, bool complete = true);
  // Marks versions up to `version` complete (served). REQUIRES: version <= latest.
  void SetServedVersion(std::string_view key, uint64_t version);
  // While set, reading `path` (any version) fails with Unavailable: blocks not downloaded.
  void SetPathUnavailable(std::string_view key, std::string_view path, bool unavailable);
  // While not OK, every call fails with this status (the backend is down).
  void SetFailure(absl::Status status);
  void SetMtime(absl::Time mtime);  // mtime given to files written from now on

  // Backend calls so far, to prove cache hits cost none.
  uint64_t get_site_calls() const { return get_site_calls_.load(); }
  uint64_t stat_calls() const { return stat_calls_.load(); }
  uint64_t read_calls() const { return read_calls_.load(); }

  absl::StatusOr<SiteInfo> GetSite(std::string_view key) override;
  absl::StatusOr<std::string> ResolveAlias(std::string_view alias) override;
  absl::StatusOr<EntryStat> Stat(std::string_view key, uint64_t version,
                                 std::string_view path) override;
  absl::StatusOr<std::vector<DirEntry>> List(std::string_view key, uint64_t version,
                                             std::string_view path) override;
  absl::Status Read(std::string_view key, uint64_t version, std::string_view path,
                    uint64_t offset, uint64_t length, std::string* out) override;
  SubscriptionId Subscribe(ChangeCallback callback) override;
  void Unsubscribe(SubscriptionId id) override;

 private:
  struct File {
    std::shared_ptr<const std::string> data;
    absl::Time mtime;
    std::string content_id;
  };
  using Tree = std::map<std::string, File, std::less<>>;
  struct Site {
    std::string alias;
    uint64_t served = 0;
    std::vector<Tree> versions;  // versions[v - 1] is version v
    std::set<std::string, std::less<>> unavailable;
  };

  absl::StatusOr<const Tree*> TreeLocked(std::string_view key, uint64_t version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify(const SiteChange& change) ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex notify_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // held while callbacks run
  absl::Mutex mu_;
  std::map<std::string, Site, std::less<>> sites_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> aliases_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  absl::Time mtime_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1'700'000'000);
  uint64_t next_content_id_ ABSL_GUARDED_BY(mu_) = 1;
  SubscriptionId next_subscription_ ABSL_GUARDED_BY(notify_mu_) = 1;
  std::map<SubscriptionId, ChangeCallback> callbacks_ ABSL_GUARDED_BY(notify_mu_);
  std::atomic<uint64_t> get_site_calls_{0};
  std::atomic<uint64_t> stat_calls_{0};
  std::atomic<uint64_t> read_calls_{0};
};

}  // namespace evermirror::gateway
