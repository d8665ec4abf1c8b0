#include "services/replicator/replicator_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "shared/crypto/key_text.h"
#include "shared/rpc/status.h"

namespace evermirror::replicator {
namespace {

using replication::DownloadMode;

constexpr uint64_t kMaxReadBlocks = 1024;
constexpr uint64_t kMaxReadBytes = 3u << 20;  // stays under gRPC's 4 MiB message limit
constexpr size_t kMaxAppendBlocks = 10000;

absl::StatusOr<crypto::PublicKey> Key(const std::string& text) {
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyText(text);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat("key: ", key.status().message()));
  return key;
}

absl::StatusOr<DownloadMode> Mode(v1::Mode mode) {
  switch (mode) {
    case v1::MODE_UNSPECIFIED:
    case v1::MODE_FULL: return DownloadMode::kAll;
    case v1::MODE_SPARSE: return DownloadMode::kSparse;
    case v1::MODE_PAUSED: return DownloadMode::kNone;
    default: return absl::InvalidArgumentError("mode: unknown value");
  }
}

v1::Mode ToProto(DownloadMode mode) {
  switch (mode) {
    case DownloadMode::kAll: return v1::MODE_FULL;
    case DownloadMode::kSparse: return v1::MODE_SPARSE;
    case DownloadMode::kNone: return v1::MODE_PAUSED;
  }
  return v1::MODE_FULL;
}

absl::StatusOr<FeedKind> Kind(v1::Kind kind) {
  switch (kind) {
    case v1::KIND_UNSPECIFIED:
    case v1::KIND_PLAIN: return FeedKind::kPlain;
    case v1::KIND_HYPERDRIVE: return FeedKind::kHyperdrive;
    case v1::KIND_CONTENT: return FeedKind::kContent;
    default: return absl::InvalidArgumentError("kind: unknown value");
  }
}

v1::Kind ToProto(FeedKind kind) {
  switch (kind) {
    case FeedKind::kPlain: return v1::KIND_PLAIN;
    case FeedKind::kHyperdrive: return v1::KIND_HYPERDRIVE;
    case FeedKind::kContent: return v1::KIND_CONTENT;
  }
  return v1::KIND_PLAIN;
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

void ToProto(const FeedInfo& info, v1::FeedStatus* out) {
  out->set_key(crypto::KeyHex(info.key));
  out->set_discovery_key(crypto::HashHex(info.discovery_key));
  out->set_writable(info.writable);
  out->set_mode(ToProto(info.mode));
  out->set_kind(ToProto(info.kind));
  out->set_length(info.length);
  out->set_byte_length(info.byte_length);
  out->set_downloaded_blocks(info.downloaded);
  out->set_remote_length(info.remote_length);
  out->set_peers(info.peers);
  *out->mutable_last_update() = ToProto(info.last_update);
  if (info.content_key.has_value()) out->set_content_key(crypto::KeyHex(*info.content_key));
  out->set_verify_failures(info.verify_failures);
}

grpc::Status Reply(const absl::StatusOr<FeedInfo>& info, v1::FeedStatus* out) {
  if (!info.ok()) return rpc::ToGrpcStatus(info.status());
  ToProto(*info, out);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ReplicatorService::AddFeed(grpc::ServerContext*, const v1::AddFeedRequest* req, v1::FeedStatus* out) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  absl::StatusOr<DownloadMode> mode = Mode(req->mode());
  absl::StatusOr<FeedKind> kind = Kind(req->kind());
  for (const absl::Status& s : {key.status(), mode.status(), kind.status()}) {
    if (!s.ok()) return rpc::ToGrpcStatus(s);
  }
  if (*kind == FeedKind::kContent) {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError("kind: content feeds are added with their hyperdrive"));
  }
  return Reply(replicator_->AddFeed(*key, *mode, *kind), out);
}

grpc::Status ReplicatorService::CreateFeed(grpc::ServerContext*, const v1::CreateFeedRequest* req, v1::FeedStatus* out) {
  absl::StatusOr<FeedKind> kind = Kind(req->kind());
  if (!kind.ok()) return rpc::ToGrpcStatus(kind.status());
  return Reply(replicator_->CreateFeed(*kind), out);
}

grpc::Status ReplicatorService::Append(grpc::ServerContext*, const v1::AppendRequest* req, v1::AppendResponse* out) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  if (req->blocks().empty() || static_cast<size_t>(req->blocks().size()) > kMaxAppendBlocks) {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("blocks: give 1 to ", kMaxAppendBlocks)));
  }
  std::vector<std::string> blocks(req->blocks().begin(), req->blocks().end());
  absl::StatusOr<uint64_t> length = replicator_->Append(*key, blocks);
  if (!length.ok()) return rpc::ToGrpcStatus(length.status());
  out->set_length(*length);
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::ReadBlocks(grpc::ServerContext*, const v1::ReadBlocksRequest* req,
                                           v1::ReadBlocksResponse* out) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  if (req->count() == 0) return rpc::ToGrpcStatus(absl::InvalidArgumentError("count: must be > 0"));
  const uint32_t timeout_ms = req->timeout_ms() == 0 ? 10000 : std::min<uint32_t>(req->timeout_ms(), 60000);
  absl::StatusOr<std::vector<ReadBlock>> blocks =
      replicator_->Read(*key, req->start(), std::min(req->count(), kMaxReadBlocks), kMaxReadBytes, req->fetch(),
                        absl::Milliseconds(timeout_ms));
  if (!blocks.ok()) return rpc::ToGrpcStatus(blocks.status());
  for (ReadBlock& b : *blocks) {
    v1::Block* block = out->add_blocks();
    block->set_index(b.index);
    if (b.data.has_value()) {
      block->set_data(std::move(*b.data));
    } else {
      block->set_missing(true);
    }
  }
  absl::StatusOr<FeedInfo> info = replicator_->GetFeed(*key);
  if (info.ok()) out->set_length(info->length);
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::BlockSizes(grpc::ServerContext*, const v1::BlockSizesRequest* req,
                                           v1::BlockSizesResponse* out) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  absl::StatusOr<std::vector<uint64_t>> sizes =
      replicator_->BlockSizes(*key, req->start(), std::min<uint64_t>(req->count(), 65536));
  if (!sizes.ok()) return rpc::ToGrpcStatus(sizes.status());
  for (uint64_t size : *sizes) out->add_sizes(size);
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::Seek(grpc::ServerContext*, const v1::SeekRequest* req, v1::SeekResponse* out) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  absl::StatusOr<std::pair<uint64_t, uint64_t>> found = replicator_->Seek(*key, req->byte_offset());
  if (!found.ok()) return rpc::ToGrpcStatus(found.status());
  out->set_index(found->first);
  out->set_offset(found->second);
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::FirstMissing(grpc::ServerContext*, const v1::FirstMissingRequest* req,
                                             v1::FirstMissingResponse* out) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  absl::StatusOr<uint64_t> index = replicator_->FirstMissing(*key, req->start(), req->end());
  if (!index.ok()) return rpc::ToGrpcStatus(index.status());
  out->set_index(*index);
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::PublishFolder(grpc::ServerContext*, const v1::PublishFolderRequest* req,
                                              grpc::ServerWriter<v1::PublishFolderProgress>* writer) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  if (req->path().empty() || req->path()[0] != '/') {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError("path: an absolute folder path is required"));
  }
  absl::StatusOr<drive::PublishReport> report =
      replicator_->PublishFolder(*key, req->path(), [writer](const drive::PublishProgress& p) {
        v1::PublishFolderProgress progress;
        progress.set_files_done(p.files_done);
        progress.set_files_total(p.files_total);
        progress.set_bytes_done(p.bytes_done);
        progress.set_bytes_total(p.bytes_total);
        writer->Write(progress);  // a client that went away just misses progress
      });
  if (!report.ok()) return rpc::ToGrpcStatus(report.status());
  v1::PublishFolderProgress last;
  v1::PublishReport* r = last.mutable_report();
  r->set_version_before(report->version_before);
  r->set_version_after(report->version_after);
  for (const std::string& f : report->added) r->add_added(f);
  for (const std::string& f : report->modified) r->add_modified(f);
  for (const std::string& f : report->deleted) r->add_deleted(f);
  r->set_unchanged(report->unchanged);
  r->set_bytes_appended(report->bytes_appended());
  for (const std::string& w : report->warnings) r->add_warnings(w);
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::GetFeed(grpc::ServerContext*, const v1::FeedRequest* req, v1::FeedStatus* out) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  return Reply(replicator_->GetFeed(*key), out);
}

grpc::Status ReplicatorService::RemoveFeed(grpc::ServerContext*, const v1::FeedRequest* req, v1::RemoveFeedResponse*) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  return rpc::ToGrpcStatus(replicator_->RemoveFeed(*key));
}

grpc::Status ReplicatorService::ListFeeds(grpc::ServerContext*, const v1::ListFeedsRequest*, v1::ListFeedsResponse* out) {
  for (const FeedInfo& info : replicator_->ListFeeds()) ToProto(info, out->add_feeds());
  return grpc::Status::OK;
}

// Sends the status now and after every change until the client goes away or the feed is removed.
grpc::Status ReplicatorService::WatchFeed(grpc::ServerContext* context, const v1::FeedRequest* req,
                                          grpc::ServerWriter<v1::FeedStatus>* writer) {
  absl::StatusOr<crypto::PublicKey> key = Key(req->key());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  while (!context->IsCancelled()) {
    const uint64_t seen = replicator_->ChangeCount(*key);
    absl::StatusOr<FeedInfo> info = replicator_->GetFeed(*key);
    if (!info.ok()) return rpc::ToGrpcStatus(info.status());
    v1::FeedStatus status;
    ToProto(*info, &status);
    if (!writer->Write(status)) break;
    // Wake up now and then to notice a cancelled client even when nothing changes.
    while (!context->IsCancelled() && !replicator_->WaitForChange(*key, seen, absl::Seconds(1))) {
    }
  }
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::WatchFeeds(grpc::ServerContext* context, const v1::WatchFeedsRequest*,
                                           grpc::ServerWriter<v1::FeedStatus>* writer) {
  // Take the counters first, then list: a change in between is sent again, never lost.
  std::map<std::string, uint64_t> seen;
  uint64_t global = replicator_->GlobalChangeCount();
  replicator_->ChangedSince(&seen);
  for (const FeedInfo& info : replicator_->ListFeeds()) {
    v1::FeedStatus status;
    ToProto(info, &status);
    if (!writer->Write(status)) return grpc::Status::OK;
  }
  while (!context->IsCancelled()) {
    if (!replicator_->WaitForAnyChange(global, absl::Seconds(1))) continue;
    global = replicator_->GlobalChangeCount();
    const Replicator::Changes changes = replicator_->ChangedSince(&seen);
    for (const crypto::PublicKey& key : changes.changed) {
      absl::StatusOr<FeedInfo> info = replicator_->GetFeed(key);
      if (!info.ok()) continue;  // removed meanwhile: reported below or next round
      v1::FeedStatus status;
      ToProto(*info, &status);
      if (!writer->Write(status)) return grpc::Status::OK;
    }
    for (const crypto::PublicKey& key : changes.removed) {
      v1::FeedStatus status;
      status.set_key(crypto::KeyHex(key));
      status.set_discovery_key(crypto::HashHex(crypto::DiscoveryKey(key)));
      status.set_removed(true);
      if (!writer->Write(status)) return grpc::Status::OK;
    }
  }
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::Connect(grpc::ServerContext*, const v1::ConnectRequest* req, v1::ConnectResponse* out) {
  if (req->host().empty() || req->port() == 0 || req->port() > 65535) {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError("host and port (1..65535) are required"));
  }
  std::optional<crypto::Hash> dk;
  if (!req->discovery_key().empty()) {
    absl::StatusOr<crypto::Hash> parsed = crypto::ParseHashHex(req->discovery_key());
    if (!parsed.ok()) return rpc::ToGrpcStatus(parsed.status());
    dk = *parsed;
  }
  absl::StatusOr<uint64_t> id = replicator_->Connect(req->host(), static_cast<uint16_t>(req->port()), dk);
  if (!id.ok()) return rpc::ToGrpcStatus(id.status());
  out->set_connection_id(*id);
  return grpc::Status::OK;
}

grpc::Status ReplicatorService::ListConnections(grpc::ServerContext*, const v1::ListConnectionsRequest*,
                                                v1::ListConnectionsResponse* out) {
  for (const ConnectionSnapshot& c : replicator_->Connections()) {
    v1::ConnectionInfo* info = out->add_connections();
    info->set_id(c.id);
    info->set_remote_address(c.remote_address);
    info->set_inbound(c.inbound);
    for (const crypto::Hash& dk : c.discovery_keys) info->add_discovery_keys(crypto::HashHex(dk));
    info->set_bytes_in(c.stats.bytes_in);
    info->set_bytes_out(c.stats.bytes_out);
    info->set_blocks_in(c.stats.blocks_in);
    info->set_blocks_out(c.stats.blocks_out);
    *info->mutable_connected_since() = ToProto(c.connected_since);
  }
  return grpc::Status::OK;
}

}  // namespace evermirror::replicator
