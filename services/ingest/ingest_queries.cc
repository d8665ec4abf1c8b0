// Ingest's read-side admin operations: mirrors, command logs, boxes and receipts.
#include "absl/strings/str_cat.h"
#include "services/ingest/ingest.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"

namespace evermirror::ingest {
namespace {

constexpr size_t kMaxRecent = 100;

}  // namespace

v1::ListMirrorsResponse Ingest::ListMirrors() {
  const IngestState state = state_.Get();
  v1::ListMirrorsResponse out;
  for (const auto& [site, stored] : state.mirrors()) {
    v1::Mirror* m = out.add_mirrors();
    m->set_site_key(site);
    for (const auto& [alias, target] : state.aliases()) {
      if (target == site) m->add_aliases(alias);
    }
    m->set_mode(stored.mode());
    auto pin = state.pins().find(site);
    m->set_pinned(pin != state.pins().end());
    if (m->pinned()) m->set_pinned_version(pin->second);
    *m->mutable_added_at() = stored.added_at();
    m->set_added_by(stored.added_by());
    std::optional<cmd::SiteProgress> p = progress_->Latest(site);
    if (!p.has_value()) {
      m->set_status_error("no status from the replicator yet");
      continue;
    }
    m->set_latest_version(p->latest_version());
    m->set_serving_version(p->serving_version());
    m->set_blocks_downloaded(p->blocks_downloaded());
    m->set_blocks_total(p->blocks_total());
    m->set_blocks_behind(p->blocks_total() - p->blocks_downloaded());
    absl::StatusOr<FeedView> view = ports_.logs->Get(site);
    if (view.ok()) m->set_peers(view->peers);
  }
  return out;
}

v1::ListCommandsResponse Ingest::ListCommands(size_t recent) {
  recent = std::min(recent, kMaxRecent);
  const IngestState state = state_.Get();
  v1::ListCommandsResponse out;
  for (const auto& [key, role] : FollowedLogs(state, configured_owners_)) {
    v1::CommandLog* log = out.add_logs();
    log->set_key(key);
    log->set_role(TrustedKeyOf(state, key, role).role());
    log->set_name(LogName(key, kCommandsLogType));
    absl::StatusOr<FeedView> view = ports_.logs->Get(key);
    const uint64_t applied = receipts_.Cursor(key);
    log->set_applied(applied);
    if (view.ok()) {
      log->set_length(view->length);
      log->set_pending(view->length > applied + 1 ? view->length - applied - 1 : 0);
    } else {
      log->set_error(view.status().ToString());
    }
    for (const cmd::CommandReceipt& r : receipts_.Recent(key, recent)) *log->add_recent() = r;
    absl::MutexLock lock(&mu_);
    auto error = pump_errors_.find(key);
    if (error != pump_errors_.end()) log->set_error(error->second);
  }
  return out;
}

v1::Box Ingest::BoxOf(const std::string& key, bool self) {
  v1::Box box;
  box.set_box_key(key);
  box.set_self(self);
  box.set_name(LogName(key, kReceiptsLogType));
  absl::StatusOr<FeedView> view = ports_.logs->Get(key);
  if (view.ok()) {
    box.set_length(view->length);
    box.set_peers(view->peers);
  }
  return box;
}

absl::StatusOr<v1::Box> Ingest::FollowBox(const std::string& box_key) {
  if (!ready()) return absl::UnavailableError("ingest is not ready: waiting for the replicator");
  {
    absl::MutexLock lock(&apply_mu_);
    IngestState state = state_.Get();
    if (box_key == state.receipt_log_key()) return BoxOf(box_key, true);
    if (!state.boxes().contains(box_key)) {
      *(*state.mutable_boxes())[box_key].mutable_followed_since() = ToStamp(clock_->Now());
      EM_RETURN_IF_ERROR(state_.Commit(state));
      log::Info("box_followed").Kv("box", crypto::LogId(box_key));
    }
    Touched touched;
    touched.feeds = {box_key};
    absl::StatusOr<std::string> note = effects_.Converge(CurrentDesired(), touched);
    if (!note.ok()) return note.status();
    AfterStateChange();
  }
  return BoxOf(box_key, false);
}

v1::ListBoxesResponse Ingest::ListBoxes() {
  const IngestState state = state_.Get();
  v1::ListBoxesResponse out;
  if (!state.receipt_log_key().empty()) *out.add_boxes() = BoxOf(state.receipt_log_key(), true);
  for (const auto& [key, box] : state.boxes()) {
    if (key != state.receipt_log_key()) *out.add_boxes() = BoxOf(key, false);
  }
  return out;
}

absl::StatusOr<v1::GetReceiptsResponse> Ingest::GetReceipts(const std::string& box_key, uint64_t from_index,
                                                             uint32_t max_count, absl::Duration wait) {
  const IngestState state = state_.Get();
  if (box_key != state.receipt_log_key() && !state.boxes().contains(box_key)) {
    return absl::NotFoundError(absl::StrCat("box ", box_key, " is not followed (FollowBox first)"));
  }
  const uint64_t from = std::max<uint64_t>(from_index, 1);
  EM_ASSIGN_OR_RETURN(FeedView view, ports_.logs->Get(box_key));
  if (view.length <= from && wait > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    uint64_t& known = receipt_lengths_[box_key];
    known = std::max(known, view.length);
    struct Arg { const uint64_t* known; uint64_t from; const bool* stopped; };
    Arg arg{&known, from, &stopped_};
    mu_.AwaitWithTimeout(absl::Condition(+[](Arg* a) { return *a->known > a->from || *a->stopped; }, &arg), wait);
  }
  EM_ASSIGN_OR_RETURN(view, ports_.logs->Get(box_key));
  v1::GetReceiptsResponse out;
  out.set_length(view.length);
  out.set_name(LogName(box_key, kReceiptsLogType));
  uint64_t next = from;
  if (from < view.length) {
    EM_ASSIGN_OR_RETURN(auto blocks, ports_.logs->Read(box_key, from, std::min<uint64_t>(max_count, view.length - from)));
    for (const std::optional<std::string>& block : blocks) {
      if (!block.has_value()) break;  // not replicated yet: continue from here later
      v1::IndexedReceipt* r = out.add_receipts();
      r->set_index(next++);
      absl::StatusOr<cmd::Receipt> receipt = DecodeReceipt(*block);
      if (receipt.ok()) {
        *r->mutable_receipt() = *std::move(receipt);
      } else {
        r->set_error(std::string(receipt.status().message()));
      }
    }
  }
  out.set_next_index(next);
  return out;
}

}  // namespace evermirror::ingest
