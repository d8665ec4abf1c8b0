#include "services/ingest/ingest.h"

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"

namespace evermirror::ingest {
namespace {


// Commands applied from one log before the worker turns to other work (other logs, progress).
constexpr size_t kPumpTurn = 32;

}  // namespace

absl::Status IngestOptions::Validate() const {
  if (data_dir.empty()) return absl::InvalidArgumentError("ingest: data_dir is empty");
  for (const std::string& owner : owners) {
    absl::StatusOr<std::string> key = NormalizeKey(owner, "ingest.owners");
    if (!key.ok()) return key.status();
  }
  if (progress.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("ingest.progress_interval: must be positive");
  }
  return absl::OkStatus();
}

Ingest::Ingest(IngestOptions options, IngestPorts ports, env::FileSystem* fs, env::Clock* clock,
               std::unique_ptr<env::Scheduler> scheduler, env::Random* random, metrics::Registry* metrics)
    : options_(std::move(options)),
      ports_(ports),
      clock_(clock),
      random_(random),
      scheduler_(std::move(scheduler)),
      metrics_(metrics, options_.per_site_metrics),
      state_(fs, options_.data_dir),
      receipts_(ports.logs, clock),
      effects_(ports.follower, ports.joiner, ports.routes, &metrics_) {
  for (const std::string& owner : options_.owners) {
    absl::StatusOr<std::string> key = NormalizeKey(owner, "owner");
    if (key.ok()) configured_owners_.insert(*key);
  }
  ProgressDeps progress{ports.watcher, scheduler_.get(), clock, &receipts_,
                        ports.routes, &effects_, &metrics_, ports.logs};
  progress_ = std::make_unique<ProgressReporter>(options_.progress, progress);
  ApplierDeps deps{ports.logs, &state_, &receipts_, &effects_, &metrics_, clock, configured_owners_,
                   [this] { AfterStateChange(); }};
  applier_ = std::make_unique<CommandApplier>(std::move(deps));
}

Ingest::~Ingest() { Stop(); }

absl::Status Ingest::Start() {
  EM_RETURN_IF_ERROR(state_.Load());
  log::Info("state_loaded").Kv("path", state_.path()).Kv("mirrors", state_.Get().mirrors_size());
  {
    absl::MutexLock lock(&mu_);
    bootstrap_backoff_ = std::make_unique<rpc::Backoff>(options_.retry, random_);
  }
  Post([this] { Bootstrap(false); });
  return absl::OkStatus();
}

void Ingest::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  {
    // No watch callback runs after this (they post to the scheduler).
    absl::MutexLock lock(&apply_mu_);
    for (auto& [key, id] : log_watches_) ports_.watcher->Unwatch(id);
    for (auto& [key, id] : receipt_watches_) ports_.watcher->Unwatch(id);
    log_watches_.clear();
    receipt_watches_.clear();
    progress_->Stop();
  }
  scheduler_.reset();  // joins the worker after its running task; pending tasks are dropped
}

bool Ingest::ready() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

void Ingest::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (!stopped_) scheduler_->RunAfter(absl::ZeroDuration(), std::move(task));
}

void Ingest::Bootstrap(bool retry) {
  if (retry) {
    absl::MutexLock lock(&mu_);
    bootstrap_retry_pending_ = false;
  }
  absl::Status status;
  {
    absl::MutexLock lock(&apply_mu_);
    status = BootstrapLocked();
  }
  if (status.ok()) return;
  absl::MutexLock lock(&mu_);
  if (stopped_ || bootstrap_retry_pending_) return;
  bootstrap_retry_pending_ = true;
  const absl::Duration delay = bootstrap_backoff_->Next();
  log::Warn("waiting_for_replicator").Kv("status", status).Kv("retry_in", absl::FormatDuration(delay));
  scheduler_->RunAfter(delay, [this] { Bootstrap(true); });
}

absl::Status Ingest::BootstrapLocked() {
  if (ready()) return absl::OkStatus();
  IngestState state = state_.Get();
  EM_ASSIGN_OR_RETURN(std::string commands, EnsureLog(state.command_log_key(), kCommandsLogType));
  EM_ASSIGN_OR_RETURN(std::string receipts, EnsureLog(state.receipt_log_key(), kReceiptsLogType));
  if (commands != state.command_log_key() || receipts != state.receipt_log_key()) {
    state.set_command_log_key(commands);
    state.set_receipt_log_key(receipts);
    EM_RETURN_IF_ERROR(state_.Commit(state));
    log::Info("logs_created").Kv("command_log", crypto::LogId(commands)).Kv("receipt_log", crypto::LogId(receipts));
  }
  EM_RETURN_IF_ERROR(receipts_.Open(receipts));
  EM_RETURN_IF_ERROR(effects_.Reconcile(Service::kReplicator, CurrentDesired()));
  {
    absl::MutexLock lock(&mu_);
    ready_ = true;
  }
  log::Info("following").Kv("command_log", crypto::LogId(commands)).Kv("receipt_log", crypto::LogId(receipts))
      .Kv("receipts", receipts_.length()).Kv("mirrors", state.mirrors_size());
  ScheduleReconcile(Service::kSwarm, true);
  ScheduleReconcile(Service::kGateway, true);
  AfterStateChange();
  if (on_ready_) on_ready_();
  return absl::OkStatus();
}

// A crash between creating a log and recording it in the state leaves an unused feed in the
// replicator; a crash before the header is finished here (length 0: append it).
absl::StatusOr<std::string> Ingest::EnsureLog(const std::string& existing, const char* type) {
  std::string key = existing;
  uint64_t length = 0;
  if (key.empty()) {
    EM_ASSIGN_OR_RETURN(key, ports_.logs->Create());
  } else {
    absl::StatusOr<FeedView> view = ports_.logs->Get(key);
    if (absl::IsNotFound(view.status())) {
      return absl::DataLossError(absl::StrCat("the replicator lost this node's ", type, " log ", key));
    }
    EM_RETURN_IF_ERROR(view.status());
    length = view->length;
  }
  if (length == 0) EM_RETURN_IF_ERROR(ports_.logs->Append(key, {EncodeHeader(type, options_.name)}).status());
  return key;
}

Desired Ingest::CurrentDesired() const { return DesiredOf(state_.Get(), configured_owners_); }

void Ingest::AfterStateChange() {
  SyncWatches();
  progress_->SetSites(CurrentDesired().sites);
  for (Service service : {Service::kSwarm, Service::kGateway}) {
    if (effects_.stale(service)) ScheduleReconcile(service, false);
  }
}

void Ingest::SyncWatches() {
  const IngestState state = state_.Get();
  std::map<std::string, bool> wanted;  // key -> is a receipt log
  for (const auto& [key, role] : FollowedLogs(state, configured_owners_)) wanted[key] = false;
  wanted[state.receipt_log_key()] = true;
  for (const auto& [key, box] : state.boxes()) wanted.emplace(key, true);
  for (auto* watches : {&log_watches_, &receipt_watches_}) {
    for (auto it = watches->begin(); it != watches->end();) {
      auto want = wanted.find(it->first);
      const bool keep = want != wanted.end() && want->second == (watches == &receipt_watches_);
      if (!keep) ports_.watcher->Unwatch(it->second);
      it = keep ? std::next(it) : watches->erase(it);
    }
  }
  for (const auto& [key, receipt_log] : wanted) {
    auto& watches = receipt_log ? receipt_watches_ : log_watches_;
    if (watches.contains(key)) continue;
    const std::string k = key;
    watches[key] = receipt_log
                       ? ports_.watcher->Watch(key, [this, k](const FeedView& v) { OnReceiptLogView(k, v); })
                       : ports_.watcher->Watch(key, [this, k](const FeedView&) { SchedulePump(k); });
  }
}

void Ingest::SchedulePump(const std::string& log_key) {
  absl::MutexLock lock(&mu_);
  if (stopped_ || !pumps_scheduled_.insert(log_key).second) return;
  scheduler_->RunAfter(absl::ZeroDuration(), [this, log_key] { RunPump(log_key); });
}

void Ingest::RunPump(const std::string& log_key) {
  {
    absl::MutexLock lock(&mu_);
    pumps_scheduled_.erase(log_key);  // a change from now on schedules another run
  }
  absl::Status status;
  bool more = false;
  {
    absl::MutexLock lock(&apply_mu_);
    if (!ready() || !FollowedLogs(state_.Get(), configured_owners_).contains(log_key)) return;
    status = applier_->Pump(log_key, kPumpTurn, &more);
  }
  if (more) SchedulePump(log_key);  // after the other work queued meanwhile: logs take turns
  absl::MutexLock lock(&mu_);
  std::unique_ptr<rpc::Backoff>& backoff = pump_backoff_[log_key];
  if (backoff == nullptr) backoff = std::make_unique<rpc::Backoff>(options_.retry, random_);
  if (status.ok()) {
    backoff->Reset();
    pump_errors_.erase(log_key);
    return;
  }
  if (stopped_) return;
  const absl::Duration delay = backoff->Next();
  pump_errors_[log_key] = status.ToString();
  metrics_.ApplyRetry();
  log::Warn("apply_blocked").Kv("log", crypto::LogId(log_key)).Kv("status", status).Kv("retry_in", absl::FormatDuration(delay));
  scheduler_->RunAfter(delay, [this, log_key] { SchedulePump(log_key); });
}

void Ingest::ScheduleReconcile(Service service, bool now) {
  absl::MutexLock lock(&mu_);
  if (stopped_ || !reconciles_scheduled_.insert(service).second) return;
  std::unique_ptr<rpc::Backoff>& backoff = reconcile_backoff_[service];
  if (backoff == nullptr) backoff = std::make_unique<rpc::Backoff>(options_.retry, random_);
  scheduler_->RunAfter(now ? absl::ZeroDuration() : backoff->Next(), [this, service] { RunReconcile(service); });
}

void Ingest::RunReconcile(Service service) {
  {
    absl::MutexLock lock(&mu_);
    reconciles_scheduled_.erase(service);
  }
  absl::Status status;
  {
    absl::MutexLock lock(&apply_mu_);
    if (!ready()) return;
    status = effects_.Reconcile(service, CurrentDesired());
  }
  if (!status.ok()) {
    log::Debug("reconcile_failed").Kv("service", ServiceName(service)).Kv("status", status);
    ScheduleReconcile(service, false);
    return;
  }
  absl::MutexLock lock(&mu_);
  reconcile_backoff_[service]->Reset();
  if (service != Service::kReplicator) return;
  // The replicator is back: logs that waited for it continue.
  for (const auto& [key, backoff] : pump_backoff_) {
    if (pump_errors_.contains(key) && pumps_scheduled_.insert(key).second) {
      const std::string k = key;
      scheduler_->RunAfter(absl::ZeroDuration(), [this, k] { RunPump(k); });
    }
  }
}

void Ingest::OnServiceReady(Service service) {
  log::Info("service_connected").Kv("service", ServiceName(service));
  Post([this, service] {
    if (ready()) {
      ScheduleReconcile(service, true);
    } else if (service == Service::kReplicator) {
      Bootstrap(false);
    }
  });
}

void Ingest::OnReceiptLogView(const std::string& key, const FeedView& view) {
  absl::MutexLock lock(&mu_);
  uint64_t& length = receipt_lengths_[key];
  length = std::max(length, view.length);  // GetReceipts waiters recheck on unlock
}

}  // namespace evermirror::ingest
