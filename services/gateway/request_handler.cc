#include "services/gateway/request_handler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/gateway/dir_listing.h"
#include "services/gateway/etag.h"
#include "services/gateway/file_response.h"
#include "services/gateway/mime_types.h"
#include "shared/base/hex.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"

namespace evermirror::gateway {
namespace {

constexpr size_t kSiteDirectoryEntries = 4096;
constexpr char kImmutable[] = "public, max-age=31536000, immutable";

bool IsKnownMethod(std::string_view method) {
  for (std::string_view m : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}) {
    if (method == m) return true;
  }
  return false;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : absl::StrCat(ToAbsl(dir), "/", ToAbsl(name));
}

bool WantsJson(const HttpRequest& request) {
  return request.accept.has_value() &&
         request.accept->find("application/json") != std::string_view::npos;
}

}  // namespace

RequestHandler::RequestHandler(const GatewayOptions& options, SiteSource* source,
                               env::Clock* clock, GatewayMetrics* metrics)
    : options_(options),
      source_(source),
      metrics_(metrics),
      host_router_(options.gateway_domain, options.host_aliases),
      rate_limiter_(options.rate_limit_per_second, options.rate_limit_burst,
                    options.rate_limit_max_clients, clock),
      directory_(source, kSiteDirectoryEntries),
      cache_(options.cache_bytes),
      target_limits_{options.max_url_bytes, 256} {
  subscription_ = source_->Subscribe([this](const SiteChange& change) {
    directory_.OnChange(change);
    if (change.kind != SiteChangeKind::kAliasesChanged) cache_.InvalidateSite(change.key);
  });
}

RequestHandler::~RequestHandler() { source_->Unsubscribe(subscription_); }

HttpResponse RequestHandler::Handle(const HttpRequest& request) {
  HttpResponse response = Dispatch(request);
  if (request.method == "HEAD") response.head = true;
  metrics_->RecordResponse(response.status, response.site_alias,
                           response.head ? 0 : response.ContentLength());
  return response;
}

absl::Status RequestHandler::ReadFilePart(const FileRef& file, uint64_t offset, uint64_t length,
                                          std::string* out) {
  return source_->Read(file.key, file.version, file.path, offset, length, out);
}

std::optional<HttpResponse> RequestHandler::CheckLimits(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    metrics_->RecordRejection(Rejection::kMethod);
    HttpResponse response = ErrorResponse(IsKnownMethod(request.method) ? 405 : 501,
                                          "Only GET and HEAD are supported.");
    response.AddHeader("Allow", "GET, HEAD");
    response.close = true;  // a body may follow that we will not read
    return response;
  }
  if (std::max(request.target.size(), request.target_bytes) > options_.max_url_bytes) {
    metrics_->RecordRejection(Rejection::kUrlTooLong);
    return ErrorResponse(414, "The URL is too long.");
  }
  if (request.head_bytes > options_.max_header_bytes) {
    metrics_->RecordRejection(Rejection::kHeaderTooLarge);
    HttpResponse response = ErrorResponse(431, "The request header fields are too large.");
    response.close = true;
    return response;
  }
  if (!rate_limiter_.Allow(request.client)) {
    metrics_->RecordRejection(Rejection::kRateLimited);
    HttpResponse response = ErrorResponse(429, "Too many requests; slow down.");
    response.AddHeader("Retry-After", absl::StrCat(absl::ToInt64Seconds(options_.retry_after)));
    return response;
  }
  return std::nullopt;
}

// nullopt: the key comes from the path. Sets *error (and returns an error) when the host
// names no site or is malformed.
absl::StatusOr<std::optional<std::string>> RequestHandler::SiteKeyFromHost(
    const HttpRequest& request, HttpResponse* error) {
  auto route = host_router_.Route(request.host.value_or(""));
  if (!route.ok()) {
    metrics_->RecordRejection(Rejection::kBadRequest);
    *error = ErrorResponse(400, "Malformed Host header.");
    return route.status();
  }
  switch (route->kind) {
    case HostRoute::Kind::kPath:
      return std::optional<std::string>();
    case HostRoute::Kind::kKey:
      return std::optional<std::string>(route->value);
    case HostRoute::Kind::kAlias:
      break;
  }
  auto key = directory_.ResolveAlias(route->value);
  if (!key.ok()) {
    *error = StatusResponse(key.status());
    return key.status();
  }
  if (!key->has_value() && !route->fallback_to_path) {
    *error = ErrorResponse(404, "No site has this name.");
    return absl::NotFoundError("unknown alias");
  }
  return *key;
}

HttpResponse RequestHandler::Dispatch(const HttpRequest& request) {
  if (auto rejected = CheckLimits(request); rejected.has_value()) return std::move(*rejected);
  HttpResponse error;
  auto host_key = SiteKeyFromHost(request, &error);
  if (!host_key.ok()) return error;
  const bool from_host = host_key->has_value();
  auto target = ParseRequestTarget(request.target, from_host, target_limits_);
  if (!target.ok()) {
    if (absl::IsOutOfRange(target.status())) {
      metrics_->RecordRejection(Rejection::kUrlTooLong);
      return ErrorResponse(414, "The URL is too long.");
    }
    if (absl::IsNotFound(target.status())) return ErrorResponse(404, "No such site or page.");
    metrics_->RecordRejection(Rejection::kBadRequest);
    return ErrorResponse(400, "Malformed request path.");
  }
  if (target->gateway_root) {
    HttpResponse response = ErrorResponse(200, "This is an evermirror gateway: sites are served at /<key>/.");
    response.headers.back().second = "public, max-age=60";
    return response;
  }
  SiteRequest sr;
  if (from_host) target->key = **host_key;
  auto site = directory_.GetSite(target->key);
  if (!site.ok()) return StatusResponse(site.status());
  sr.site = std::move(*site);
  sr.target = std::move(*target);
  return ServeSite(request, sr);
}

HttpResponse RequestHandler::ServeSite(const HttpRequest& request, SiteRequest& sr) {
  if (sr.target.version.has_value()) {
    if (*sr.target.version > sr.site.latest_version) {
      return ErrorResponse(404, "This site has no such version.");
    }
    sr.version = *sr.target.version;
  } else {
    sr.version = sr.site.served_version;
    if (sr.version == 0) {
      HttpResponse response = StatusResponse(absl::UnavailableError("not downloaded yet"));
      response.AddHeader("X-Evermirror-Latest", absl::StrCat(sr.site.latest_version));
      return response;
    }
  }
  sr.cache_path = sr.target.trailing_slash ? absl::StrCat(sr.target.path, "/") : sr.target.path;
  if (auto cached = cache_.Lookup(sr.site.key, sr.version, sr.cache_path)) {
    metrics_->RecordCacheLookup(true);
    return ServeCached(request, sr, std::move(cached));
  }
  metrics_->RecordCacheLookup(false);
  const uint64_t generation = cache_.Generation();
  auto stat = source_->Stat(sr.site.key, sr.version, sr.target.path);
  if (absl::IsNotFound(stat.status())) return ServeNotFound(sr);
  if (!stat.ok()) return StatusResponse(stat.status());
  if (stat->type == EntryType::kFile) {
    if (sr.target.trailing_slash) return ServeNotFound(sr);
    return ServeFile(request, sr, sr.target.path, *stat, generation);
  }
  if (!sr.target.trailing_slash) return Redirect(sr);
  const std::string index_path = JoinPath(sr.target.path, "index.html");
  auto index = source_->Stat(sr.site.key, sr.version, index_path);
  if (index.ok() && index->type == EntryType::kFile) {
    return ServeFile(request, sr, index_path, *index, generation);
  }
  if (!index.ok() && !absl::IsNotFound(index.status())) return StatusResponse(index.status());
  return ServeListing(request, sr);
}

std::shared_ptr<CachedFile> RequestHandler::MakeFileEntry(const SiteRequest& sr,
                                                          const std::string& file_path,
                                                          const EntryStat& stat) const {
  auto file = std::make_shared<CachedFile>();
  file->file_path = file_path;
  file->stat = stat;
  // Without a content id the tag is still strong, just not kept across versions.
  file->etag = MakeETag(sr.site.key, stat.content_id.empty()
                                         ? absl::StrCat("v", sr.version, "/", file_path)
                                         : stat.content_id);
  file->content_type = std::string(MimeTypeForPath(file_path));
  file->last_modified = HttpDate(stat.mtime);
  return file;
}

absl::StatusOr<std::shared_ptr<const CachedFile>> RequestHandler::LoadFile(
    const SiteRequest& sr, const std::string& file_path, const EntryStat& stat,
    uint64_t generation) {
  std::shared_ptr<CachedFile> file = MakeFileEntry(sr, file_path, stat);
  std::string data;
  EM_RETURN_IF_ERROR(source_->Read(sr.site.key, sr.version, file_path, 0, stat.size, &data));
  if (data.size() != stat.size) return absl::DataLossError("file shorter than its stat");
  file->bytes = FileBytes(std::move(data), options_.cache_sendfile_min_bytes);
  cache_.Insert(sr.site.key, sr.version, sr.cache_path, file, generation);
  const CacheStats stats = cache_.Stats();
  metrics_->SetCacheSize(stats.entries, stats.bytes);
  return file;
}

HttpResponse RequestHandler::ServeFile(const HttpRequest& request, const SiteRequest& sr,
                                       const std::string& file_path, const EntryStat& stat,
                                       uint64_t generation) {
  // Small files are read whole and cached; HEAD needs no bytes, big files are streamed.
  if (stat.size <= options_.cache_max_file_bytes && request.method == "GET") {
    auto file = LoadFile(sr, file_path, stat, generation);
    if (!file.ok()) return StatusResponse(file.status());
    return ServeCached(request, sr, std::move(*file));
  }
  std::shared_ptr<CachedFile> meta = MakeFileEntry(sr, file_path, stat);
  HttpResponse response;
  response.file = FileRef{sr.site.key, sr.version, file_path};
  BuildFileResponse(request, {stat.size, meta->etag, meta->content_type, meta->last_modified},
                    BodyPart::Source::kFile, options_.max_ranges, &response);
  AddSiteHeaders(sr, &response);
  return response;
}

HttpResponse RequestHandler::ServeCached(const HttpRequest& request, const SiteRequest& sr,
                                         std::shared_ptr<const CachedFile> file) {
  HttpResponse response;
  // Hot path: a plain request for a cached file reuses a complete prepared response.
  const bool plain = !request.if_none_match.has_value() &&
                     (!request.range.has_value() || request.method == "HEAD");
  const int variant = sr.target.version.has_value() ? 1 : 0;
  if (plain) {
    response.prepared_variant = variant;
    response.prepared = file->Prepared(variant);
    if (response.prepared != nullptr) {
      response.parts = {BodyPart{BodyPart::Source::kShared, 0, file->bytes.size()}};
      response.shared = std::move(file);
      response.site_alias = sr.site.alias;
      return response;
    }
  }
  BuildFileResponse(request, {file->bytes.size(), file->etag, file->content_type,
                              file->last_modified},
                    BodyPart::Source::kShared, options_.max_ranges, &response);
  response.shared = std::move(file);
  AddSiteHeaders(sr, &response);
  return response;
}

HttpResponse RequestHandler::ServeListing(const HttpRequest& request, const SiteRequest& sr) {
  auto entries = source_->List(sr.site.key, sr.version, sr.target.path);
  if (!entries.ok()) return StatusResponse(entries.status());
  const std::string display = sr.target.path.empty() ? "/" : absl::StrCat("/", sr.target.path, "/");
  ListingContext context{display, sr.version, !sr.target.path.empty(),
                         entries->size() > options_.max_listing_entries};
  if (context.truncated) entries->resize(options_.max_listing_entries);
  HttpResponse response;
  if (WantsJson(request)) {
    response.SetBody(RenderJsonListing(context, *entries));
    response.AddHeader("Content-Type", "application/json");
  } else {
    response.SetBody(RenderHtmlListing(context, *entries));
    response.AddHeader("Content-Type", "text/html; charset=utf-8");
  }
  response.AddHeader("Vary", "Accept");
  AddSiteHeaders(sr, &response);
  return response;
}

HttpResponse RequestHandler::ServeNotFound(const SiteRequest& sr) {
  const std::string page_path = "404.html";
  std::shared_ptr<const CachedFile> page = cache_.Lookup(sr.site.key, sr.version, page_path);
  if (page == nullptr) {
    const uint64_t generation = cache_.Generation();
    auto stat = source_->Stat(sr.site.key, sr.version, page_path);
    if (stat.ok() && stat->type == EntryType::kFile &&
        stat->size <= options_.cache_max_file_bytes) {
      SiteRequest page_request = sr;
      page_request.cache_path = page_path;
      auto loaded = LoadFile(page_request, page_path, *stat, generation);
      if (loaded.ok()) page = std::move(*loaded);
    }
  }
  HttpResponse response;
  response.status = 404;
  if (page != nullptr) {
    response.shared = std::move(page);
    response.parts = {BodyPart{BodyPart::Source::kShared, 0, response.shared->bytes.size()}};
    response.AddHeader("Content-Type", "text/html; charset=utf-8");
  } else {
    response = ErrorResponse(404, "No such page.");
    response.headers.pop_back();  // Cache-Control comes from AddSiteHeaders
  }
  AddSiteHeaders(sr, &response);
  return response;
}

HttpResponse RequestHandler::Redirect(const SiteRequest& sr) {
  // Built from the parsed target, never echoed raw: a raw "//host" would be an open redirect.
  std::string location;
  if (!sr.target.key_text.empty()) absl::StrAppend(&location, "/", sr.target.key_text);
  if (sr.target.version.has_value()) absl::StrAppend(&location, "/$/version/", *sr.target.version);
  for (absl::string_view segment : absl::StrSplit(sr.target.path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&location, "/", EncodePathSegment(ToStd(segment)));
  }
  location += "/";
  HttpResponse response = ErrorResponse(301, "Moved to the directory form of this URL.");
  response.headers.pop_back();
  response.AddHeader("Location", location);
  AddSiteHeaders(sr, &response);
  return response;
}

void RequestHandler::AddSiteHeaders(const SiteRequest& sr, HttpResponse* response) const {
  response->site_alias = sr.site.alias;
  response->AddHeader("Cache-Control",
                      sr.target.version.has_value()
                          ? kImmutable
                          : absl::StrCat("public, max-age=",
                                         absl::ToInt64Seconds(options_.latest_max_age)));
  response->AddHeader("X-Evermirror-Version", absl::StrCat(sr.version));
  response->AddHeader("X-Evermirror-Latest", absl::StrCat(sr.site.latest_version));
  // Site content is untrusted: browsers must not reinterpret e.g. an octet-stream as HTML.
  response->AddHeader("X-Content-Type-Options", "nosniff");
}

// A small HTML page; `message` is a fixed text, never client input. Cache-Control comes
// last so callers can replace or drop it.
HttpResponse RequestHandler::ErrorResponse(int status, std::string_view message) const {
  HttpResponse response;
  response.status = status;
  response.SetBody(absl::StrCat("<!DOCTYPE html>\n<html><head><title>", status,
                                "</title></head><body><h1>", status, "</h1><p>",
                                HtmlEscape(message), "</p></body></html>\n"));
  response.AddHeader("Content-Type", "text/html; charset=utf-8");
  response.AddHeader("Cache-Control", "no-store");
  return response;
}

HttpResponse RequestHandler::StatusResponse(const absl::Status& status) const {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return ErrorResponse(404, "No such site or page.");
    case absl::StatusCode::kUnavailable: {
      HttpResponse response =
          ErrorResponse(503, "This content is not downloaded yet, or the mirror is busy.");
      response.AddHeader("Retry-After", absl::StrCat(absl::ToInt64Seconds(options_.retry_after)));
      return response;
    }
    case absl::StatusCode::kDeadlineExceeded:
      return ErrorResponse(504, "The mirror's storage did not answer in time.");
    default:
      return ErrorResponse(502, "The mirror's storage failed.");
  }
}

}  // namespace evermirror::gateway
