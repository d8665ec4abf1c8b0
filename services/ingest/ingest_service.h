// The gRPC edge of ingest (evermirror.ingest.v1.IngestAdmin): validates requests, parses keys,
// calls Ingest and translates statuses. Nothing here decides anything; see ingest.h.
#pragma once

#include "evermirror/ingest/v1/ingest.grpc.pb.h"
#include "services/ingest/ingest.h"

namespace evermirror::ingest {

// Thread-safe (Ingest is).
class IngestService final : public v1::IngestAdmin::Service {
 public:
  // `ingest` is not owned and must outlive the service.
  explicit IngestService(Ingest* ingest) : ingest_(ingest) {}

  grpc::Status GetIdentity(grpc::ServerContext*, const v1::GetIdentityRequest*, v1::Identity*) override;
  grpc::Status ListTrustedKeys(grpc::ServerContext*, const v1::ListTrustedKeysRequest*,
                               v1::ListTrustedKeysResponse*) override;
  grpc::Status AddTrustedKey(grpc::ServerContext*, const v1::AddTrustedKeyRequest*, v1::TrustedKey*) override;
  grpc::Status RemoveTrustedKey(grpc::ServerContext*, const v1::RemoveTrustedKeyRequest*,
                                v1::RemoveTrustedKeyResponse*) override;
  grpc::Status ListMirrors(grpc::ServerContext*, const v1::ListMirrorsRequest*, v1::ListMirrorsResponse*) override;
  grpc::Status AppendCommand(grpc::ServerContext*, const v1::AppendCommandRequest*,
                             v1::AppendCommandResponse*) override;
  grpc::Status ListCommands(grpc::ServerContext*, const v1::ListCommandsRequest*, v1::ListCommandsResponse*) override;
  grpc::Status FollowBox(grpc::ServerContext*, const v1::FollowBoxRequest*, v1::Box*) override;
  grpc::Status ListBoxes(grpc::ServerContext*, const v1::ListBoxesRequest*, v1::ListBoxesResponse*) override;
  grpc::Status GetReceipts(grpc::ServerContext*, const v1::GetReceiptsRequest*, v1::GetReceiptsResponse*) override;

 private:
  Ingest* const ingest_;
};

}  // namespace evermirror::ingest
