#include "services/gateway/gateway_admin_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "shared/base/strings.h"
#include "shared/crypto/key_text.h"
#include "shared/rpc/status.h"

namespace evermirror::gateway {
namespace {

// A DNS label or a host name: letters, digits, '-', '.'; at most 253 characters.
bool ValidAlias(const std::string& alias) {
  if (alias.empty() || alias.size() > 253) return false;
  for (char c : alias) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return alias.front() != '.' && alias.front() != '-';
}

absl::StatusOr<std::string> RawKey(const std::string& text, std::string_view field) {
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyText(text);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field), ": ", key.status().message()));
  return std::string(crypto::AsView(*key));
}

}  // namespace

grpc::Status GatewayAdminService::ReplaceRoutes(grpc::ServerContext*, const v1::ReplaceRoutesRequest* req,
                                                v1::ReplaceRoutesResponse*) {
  std::map<std::string, std::string> aliases;
  for (const v1::Alias& a : req->aliases()) {
    const std::string alias = absl::AsciiStrToLower(a.alias());
    if (!ValidAlias(alias)) {
      return rpc::ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("aliases: \"", a.alias(), "\" is not a host name")));
    }
    absl::StatusOr<std::string> key = RawKey(a.site_key(), "aliases.site_key");
    if (!key.ok()) return rpc::ToGrpcStatus(key.status());
    aliases[alias] = *key;
  }
  std::map<std::string, uint64_t> pins;
  for (const v1::Pin& p : req->pins()) {
    absl::StatusOr<std::string> key = RawKey(p.site_key(), "pins.site_key");
    if (!key.ok()) return rpc::ToGrpcStatus(key.status());
    pins[*key] = p.version();
  }
  source_->SetRoutes(std::move(aliases), std::move(pins));
  return grpc::Status::OK;
}

void GatewayAdminService::Fill(const SiteSummary& summary, v1::SiteStatus* out) {
  out->set_site_key(crypto::KeyHex(crypto::ToArray<crypto::kPublicKeySize>(summary.key)));
  for (const std::string& alias : source_->AliasesOf(summary.key)) out->add_aliases(alias);
  out->set_serving_version(summary.served_version);
  out->set_latest_version(summary.latest_version);
  out->set_pinned(summary.pinned.has_value());
  out->set_servable(summary.servable);
}

grpc::Status GatewayAdminService::ListSites(grpc::ServerContext*, const v1::ListSitesRequest*,
                                            v1::ListSitesResponse* out) {
  for (const SiteSummary& summary : source_->Summaries()) Fill(summary, out->add_sites());
  return grpc::Status::OK;
}

grpc::Status GatewayAdminService::GetSite(grpc::ServerContext*, const v1::GetSiteRequest* req, v1::SiteStatus* out) {
  absl::StatusOr<std::string> key = RawKey(req->site_key(), "site_key");
  if (!key.ok()) {
    absl::StatusOr<std::string> aliased = source_->ResolveAlias(req->site_key());
    if (!aliased.ok()) return rpc::ToGrpcStatus(absl::NotFoundError("no site with that key or alias"));
    key = *aliased;
  }
  // Fresh: ingest asks right after it saw the replicator change, and this service's own view
  // of the replicator may not have caught up yet.
  absl::StatusOr<SiteInfo> info = source_->GetFreshSite(*key);
  if (!info.ok()) return rpc::ToGrpcStatus(info.status());
  SiteSummary summary{*key, info->served_version, info->latest_version, std::nullopt, info->served_version > 0};
  Fill(summary, out);
  return grpc::Status::OK;
}

grpc::Status GatewayAdminService::CacheStats(grpc::ServerContext*, const v1::CacheStatsRequest*,
                                             v1::CacheStatsResponse* out) {
  const gateway::CacheStats stats = cache_->Stats();
  out->set_entries(stats.entries);
  out->set_bytes(stats.bytes);
  out->set_capacity_bytes(cache_->budget_bytes());
  out->set_hits(stats.hits);
  out->set_misses(stats.misses);
  return grpc::Status::OK;
}

grpc::Status GatewayAdminService::PurgeCache(grpc::ServerContext*, const v1::PurgeCacheRequest* req,
                                             v1::PurgeCacheResponse* out) {
  const uint64_t before = cache_->Stats().entries;
  if (req->site_key().empty()) {
    cache_->Clear();
  } else {
    absl::StatusOr<std::string> key = RawKey(req->site_key(), "site_key");
    if (!key.ok()) return rpc::ToGrpcStatus(key.status());
    cache_->InvalidateSite(*key);
  }
  const uint64_t after = cache_->Stats().entries;
  out->set_entries_removed(before > after ? before - after : 0);
  return grpc::Status::OK;
}

}  // namespace evermirror::gateway
