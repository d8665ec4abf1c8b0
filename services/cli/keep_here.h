// Keeping a site on this node: a MirrorAdd appended to this node's own command log and
// addressed to this node alone (a box that trusts this log must not take it as its own), so
// its ingest applies it like any command: the swarm announces the site, the replicator seeds
// it, the gateway serves it (under `alias` when given), and receipts report its progress.
// Used for the sites this node authors (`site create/publish`, `up`'s example site).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "services/cli/pair_commands.h"

namespace evermirror::cli {

// Idempotent: does nothing when ingest already keeps `site_hex` (with `alias`, if given).
// Unavailable while ingest is not running (or not ready).
absl::Status KeepHere(IngestClient& ingest, const std::string& site_hex, const std::string& alias = "");

}  // namespace evermirror::cli
