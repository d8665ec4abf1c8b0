#include "services/cli/keep_here.h"

#include "shared/base/status_macros.h"

namespace evermirror::cli {
namespace {

bool AlreadyKept(const ingest::v1::ListMirrorsResponse& mirrors, const std::string& site, const std::string& alias) {
  for (const ingest::v1::Mirror& m : mirrors.mirrors()) {
    if (m.site_key() != site) continue;
    if (alias.empty()) return true;
    for (const std::string& a : m.aliases()) {
      if (a == alias) return true;
    }
  }
  return false;
}

}  // namespace

absl::Status KeepHere(IngestClient& ingest, const std::string& site_hex, const std::string& alias) {
  EM_ASSIGN_OR_RETURN(ingest::v1::ListMirrorsResponse mirrors, ingest.Mirrors());
  if (AlreadyKept(mirrors, site_hex, alias)) return absl::OkStatus();
  EM_ASSIGN_OR_RETURN(ingest::v1::Identity id, ingest.Identity());
  commands::v1::Command command;
  command.add_to(id.receipt_log_key());
  command.mutable_mirror_add()->set_site_key(site_hex);
  if (!alias.empty()) command.mutable_mirror_add()->set_alias(alias);
  return ingest.Append(command).status();
}

}  // namespace evermirror::cli
