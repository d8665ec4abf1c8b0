// RequestHandler: the gateway's HTTP semantics, independent of the HTTP library. Turns an
// HttpRequest into an HttpResponse: method and size limits, per-client rate limit, site
// routing (Host header or key in path), version choice, files with ETag/Range/Cache-Control,
// index.html, directory listings, the site's 404.html, and status codes for every failure.
// HttpServer calls it from its worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "services/gateway/content_cache.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/gateway_options.h"
#include "services/gateway/host_router.h"
#include "services/gateway/http_types.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/request_target.h"
#include "services/gateway/site_directory.h"
#include "services/gateway/site_source.h"
#include "shared/env/clock.h"

namespace evermirror::gateway {

// Thread-safe. Subscribes to `source`'s change notifications for its lifetime.
class RequestHandler {
 public:
  // REQUIRES: options.Validate() is OK. `source`, `clock` and `metrics` must outlive this.
  RequestHandler(const GatewayOptions& options, SiteSource* source, env::Clock* clock,
                 GatewayMetrics* metrics);
  ~RequestHandler();
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // The complete response for `request` (never fails: errors become status codes). Records
  // the response (status class, body bytes) in the metrics.
  HttpResponse Handle(const HttpRequest& request);

  // Reads bytes of a kFile body part while the response is being sent. Errors as
  // SiteSource::Read; the caller then aborts the connection (headers are already out).
  absl::Status ReadFilePart(const FileRef& file, uint64_t offset, uint64_t length,
                            std::string* out);

  ContentCache& cache() { return cache_; }

 private:
  struct SiteRequest {
    SiteInfo site;
    uint64_t version = 0;
    RequestTarget target;
    std::string cache_path;  // target.path, plus "/" for directory-form requests
  };

  HttpResponse Dispatch(const HttpRequest& request);
  std::optional<HttpResponse> CheckLimits(const HttpRequest& request);
  absl::StatusOr<std::optional<std::string>> SiteKeyFromHost(const HttpRequest& request,
                                                             HttpResponse* error);
  HttpResponse ServeSite(const HttpRequest& request, SiteRequest& site_request);
  HttpResponse ServeFile(const HttpRequest& request, const SiteRequest& sr,
                         const std::string& file_path, const EntryStat& stat, uint64_t generation);
  HttpResponse ServeCached(const HttpRequest& request, const SiteRequest& sr,
                           std::shared_ptr<const CachedFile> file);
  HttpResponse ServeListing(const HttpRequest& request, const SiteRequest& sr);
  HttpResponse ServeNotFound(const SiteRequest& sr);
  HttpResponse Redirect(const SiteRequest& sr);
  absl::StatusOr<std::shared_ptr<const CachedFile>> LoadFile(const SiteRequest& sr,
                                                             const std::string& file_path,
                                                             const EntryStat& stat,
                                                             uint64_t generation);
  void AddSiteHeaders(const SiteRequest& sr, HttpResponse* response) const;
  HttpResponse ErrorResponse(int status, std::string_view message) const;
  HttpResponse StatusResponse(const absl::Status& status) const;
  std::shared_ptr<CachedFile> MakeFileEntry(const SiteRequest& sr, const std::string& file_path,
                                            const EntryStat& stat) const;

  const GatewayOptions options_;
  SiteSource* const source_;
  GatewayMetrics* const metrics_;
  HostRouter host_router_;
  RateLimiter rate_limiter_;
  SiteDirectory directory_;
  ContentCache cache_;
  TargetLimits target_limits_;
  SiteSource::SubscriptionId subscription_ = 0;
};

}  // namespace evermirror::gateway
