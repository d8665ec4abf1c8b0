#include "services/ingest/ingest_service.h"

#include "absl/strings/str_cat.h"
#include "shared/rpc/status.h"

namespace evermirror::ingest {
namespace {

constexpr uint32_t kDefaultReceipts = 256;
constexpr uint32_t kMaxReceipts = 1024;
constexpr uint32_t kMaxWaitMs = 60000;
constexpr uint32_t kDefaultRecent = 10;

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return rpc::ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status IngestService::GetIdentity(grpc::ServerContext*, const v1::GetIdentityRequest*, v1::Identity* out) {
  return Reply(ingest_->GetIdentity(), out);
}

grpc::Status IngestService::ListTrustedKeys(grpc::ServerContext*, const v1::ListTrustedKeysRequest*,
                                            v1::ListTrustedKeysResponse* out) {
  for (v1::TrustedKey& key : ingest_->ListTrustedKeys()) *out->add_keys() = std::move(key);
  return grpc::Status::OK;
}

grpc::Status IngestService::AddTrustedKey(grpc::ServerContext*, const v1::AddTrustedKeyRequest* req,
                                          v1::TrustedKey* out) {
  absl::StatusOr<std::string> key = NormalizeKey(req->key(), "key");
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  return Reply(ingest_->AddTrustedKey(*key, req->name()), out);
}

grpc::Status IngestService::RemoveTrustedKey(grpc::ServerContext*, const v1::RemoveTrustedKeyRequest* req,
                                             v1::RemoveTrustedKeyResponse*) {
  absl::StatusOr<std::string> key = NormalizeKey(req->key(), "key");
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  return rpc::ToGrpcStatus(ingest_->RemoveTrustedKey(*key));
}

grpc::Status IngestService::ListMirrors(grpc::ServerContext*, const v1::ListMirrorsRequest*,
                                        v1::ListMirrorsResponse* out) {
  *out = ingest_->ListMirrors();
  return grpc::Status::OK;
}

grpc::Status IngestService::AppendCommand(grpc::ServerContext*, const v1::AppendCommandRequest* req,
                                          v1::AppendCommandResponse* out) {
  if (!req->has_command()) return rpc::ToGrpcStatus(absl::InvalidArgumentError("command: required"));
  return Reply(ingest_->AppendCommand(req->command()), out);
}

grpc::Status IngestService::ListCommands(grpc::ServerContext*, const v1::ListCommandsRequest* req,
                                         v1::ListCommandsResponse* out) {
  if (req->recent() > 100) return rpc::ToGrpcStatus(absl::InvalidArgumentError("recent: at most 100"));
  *out = ingest_->ListCommands(req->recent() == 0 ? kDefaultRecent : req->recent());
  return grpc::Status::OK;
}

grpc::Status IngestService::FollowBox(grpc::ServerContext*, const v1::FollowBoxRequest* req, v1::Box* out) {
  absl::StatusOr<std::string> key = NormalizeKey(req->box_key(), "box_key");
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  return Reply(ingest_->FollowBox(*key), out);
}

grpc::Status IngestService::ListBoxes(grpc::ServerContext*, const v1::ListBoxesRequest*, v1::ListBoxesResponse* out) {
  *out = ingest_->ListBoxes();
  return grpc::Status::OK;
}

grpc::Status IngestService::GetReceipts(grpc::ServerContext*, const v1::GetReceiptsRequest* req,
                                        v1::GetReceiptsResponse* out) {
  absl::StatusOr<std::string> key = NormalizeKey(req->box_key(), "box_key");
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  if (req->max_count() > kMaxReceipts) {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("max_count: at most ", kMaxReceipts)));
  }
  if (req->wait_ms() > kMaxWaitMs) {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("wait_ms: at most ", kMaxWaitMs)));
  }
  const uint32_t count = req->max_count() == 0 ? kDefaultReceipts : req->max_count();
  return Reply(ingest_->GetReceipts(*key, req->from_index(), count, absl::Milliseconds(req->wait_ms())), out);
}

}  // namespace evermirror::ingest
