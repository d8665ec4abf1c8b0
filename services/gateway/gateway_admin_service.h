// The gRPC edge of the gateway's admin API (proto/evermirror/gateway/v1/gateway.proto):
// routes from ingest, site status, cache statistics and purging.
#pragma once

#include "evermirror/gateway/v1/gateway.grpc.pb.h"
#include "services/gateway/content_cache.h"
#include "services/gateway/replicator_site_source.h"

namespace evermirror::gateway {

// Thread-safe. `source` and `cache` are not owned and must outlive the service.
class GatewayAdminService final : public v1::GatewayAdmin::Service {
 public:
  GatewayAdminService(ReplicatorSiteSource* source, ContentCache* cache) : source_(source), cache_(cache) {}

  grpc::Status ReplaceRoutes(grpc::ServerContext*, const v1::ReplaceRoutesRequest*, v1::ReplaceRoutesResponse*) override;
  grpc::Status ListSites(grpc::ServerContext*, const v1::ListSitesRequest*, v1::ListSitesResponse*) override;
  grpc::Status GetSite(grpc::ServerContext*, const v1::GetSiteRequest*, v1::SiteStatus*) override;
  grpc::Status CacheStats(grpc::ServerContext*, const v1::CacheStatsRequest*, v1::CacheStatsResponse*) override;
  grpc::Status PurgeCache(grpc::ServerContext*, const v1::PurgeCacheRequest*, v1::PurgeCacheResponse*) override;

 private:
  void Fill(const SiteSummary& summary, v1::SiteStatus* out);

  ReplicatorSiteSource* const source_;
  ContentCache* const cache_;
};

}  // namespace evermirror::gateway
