// Ingest's top logic object: creates this node's command and receipt logs on first start,
// follows the trusted command logs (watch -> pump on the worker), applies commands through
// the CommandApplier, keeps the other services reconciled with the desired state, reports site
// progress, and answers the admin API (ingest_admin.cc). No gRPC types in its API: the edge is
// IngestService, the other services are reached through service_ports.h.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "evermirror/ingest/v1/ingest.pb.h"
#include "services/ingest/command_applier.h"
#include "services/ingest/effect_pusher.h"
#include "services/ingest/ingest_metrics.h"
#include "services/ingest/progress_reporter.h"
#include "services/ingest/receipt_log.h"
#include "services/ingest/service_ports.h"
#include "services/ingest/state_store.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"
#include "shared/metrics/metrics.h"
#include "shared/rpc/backoff.h"

namespace evermirror::ingest {

struct IngestOptions {
  std::string data_dir = "/var/lib/evermirror/ingest";  // state.json lives here
  std::string name = "evermirror";                      // written in this node's log headers
  std::vector<std::string> owners;                      // trusted owner keys (any key text)
  ProgressOptions progress;
  bool per_site_metrics = false;
  rpc::BackoffOptions retry;  // retries of the replicator and reconciles of the others
  absl::Status Validate() const;
};

// Not owned; must outlive Ingest. `joiner` and `routes` may be null (not configured).
struct IngestPorts {
  LogStore* logs = nullptr;
  FeedFollower* follower = nullptr;
  FeedWatcher* watcher = nullptr;
  TopicJoiner* joiner = nullptr;
  RouteSink* routes = nullptr;
};

// Thread-safe.
class Ingest {
 public:
  // `scheduler` runs all of ingest's work (owned: Stop() destroys it first, so no task outlives
  // the objects it uses). The rest is not owned and must outlive Ingest.
  Ingest(IngestOptions options, IngestPorts ports, env::FileSystem* fs, env::Clock* clock,
         std::unique_ptr<env::Scheduler> scheduler, env::Random* random, metrics::Registry* metrics);
  ~Ingest();

  // Loads the state file (DataLoss if it is corrupt: the message says what to do) and starts
  // the first-start work on the worker: the own logs (created if needed; retried while the
  // replicator is unreachable), the cursors, a reconcile of every service, then following.
  absl::Status Start();
  // Stops the worker and every watch. Idempotent.
  void Stop();
  // A service has (re)connected (ChannelMonitor): push it the whole state.
  void OnServiceReady(Service service);
  // True once the own logs exist and the receipt log is read (commands are being applied).
  bool ready() const;
  // Called once, on the worker, when ready() turns true (main marks the service SERVING).
  // REQUIRES: called before Start().
  void set_on_ready(std::function<void()> on_ready) { on_ready_ = std::move(on_ready); }

  // --- admin (ingest_admin.cc); Unavailable until ready() for anything needing the logs.
  absl::StatusOr<v1::Identity> GetIdentity() const;
  std::vector<v1::TrustedKey> ListTrustedKeys();
  // `key` in hex. InvalidArgument for a name too long or not printable.
  absl::StatusOr<v1::TrustedKey> AddTrustedKey(const std::string& key, const std::string& name);
  absl::Status RemoveTrustedKey(const std::string& key);
  v1::ListMirrorsResponse ListMirrors();
  // InvalidArgument for a command that would be rejected as malformed or unknown.
  absl::StatusOr<v1::AppendCommandResponse> AppendCommand(cmd::Command command);
  v1::ListCommandsResponse ListCommands(size_t recent);
  absl::StatusOr<v1::Box> FollowBox(const std::string& box_key);
  v1::ListBoxesResponse ListBoxes();
  // REQUIRES: 1 <= max_count <= 1024. NotFound for a box not followed.
  absl::StatusOr<v1::GetReceiptsResponse> GetReceipts(const std::string& box_key, uint64_t from_index,
                                                      uint32_t max_count, absl::Duration wait);

 private:
  void Post(std::function<void()> task);
  void Bootstrap(bool retry);
  absl::Status BootstrapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  absl::StatusOr<std::string> EnsureLog(const std::string& existing, const char* type);
  void AfterStateChange() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  void SyncWatches() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  void SchedulePump(const std::string& log_key);
  void RunPump(const std::string& log_key);
  void ScheduleReconcile(Service service, bool now);
  void RunReconcile(Service service);
  void OnReceiptLogView(const std::string& key, const FeedView& view);
  std::string LogName(const std::string& key, const char* type);
  v1::TrustedKey TrustedKeyOf(const IngestState& state, const std::string& key, LogRole role);
  v1::Box BoxOf(const std::string& key, bool self);
  Desired CurrentDesired() const;

  const IngestOptions options_;
  const IngestPorts ports_;
  env::Clock* const clock_;
  env::Random* const random_;
  std::set<std::string> configured_owners_;  // hex, from options_.owners
  std::function<void()> on_ready_;
  std::unique_ptr<env::Scheduler> scheduler_;
  IngestMetrics metrics_;
  StateStore state_;
  ReceiptLog receipts_;
  EffectPusher effects_;
  std::unique_ptr<ProgressReporter> progress_;
  std::unique_ptr<CommandApplier> applier_;

  // Serializes every change of the state and every push to the services (worker tasks and
  // admin calls alike), so successive states reach the services in order.
  absl::Mutex apply_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::map<std::string, FeedWatcher::WatchId> log_watches_ ABSL_GUARDED_BY(apply_mu_);
  std::map<std::string, FeedWatcher::WatchId> receipt_watches_ ABSL_GUARDED_BY(apply_mu_);

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<rpc::Backoff> bootstrap_backoff_ ABSL_GUARDED_BY(mu_);
  bool bootstrap_retry_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::string> pumps_scheduled_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<rpc::Backoff>> pump_backoff_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> pump_errors_ ABSL_GUARDED_BY(mu_);
  std::map<Service, std::unique_ptr<rpc::Backoff>> reconcile_backoff_ ABSL_GUARDED_BY(mu_);
  std::set<Service> reconciles_scheduled_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> receipt_lengths_ ABSL_GUARDED_BY(mu_);  // followed receipt logs
  std::map<std::string, std::string> names_ ABSL_GUARDED_BY(mu_);        // from log headers
};

}  // namespace evermirror::ingest
