// `evermirror mirror ...`: tell a box to mirror a site by appending a command to this
// machine's command log (through the local evermirror-ingest), and follow what the box did
// from its receipt log.
//
//   mirror add SITE --to BOX [--alias NAME] [--sparse] [--wait] [--timeout DURATION]
//   mirror remove SITE --to BOX [--wait] [--timeout DURATION]
//   mirror list [--to BOX]          the sites BOX reports mirroring; without --to, this node's own
//   mirror status [SITE] --to BOX   BOX's progress per site and how far it has handled our commands
// --wait follows BOX's receipts until the command is applied (or rejected: the reason is
// printed, exit 1) and, for add, until BOX holds the site's latest version, with a progress
// bar on a terminal. Every command takes --ingest ADDRESS (see pair_commands.h).
// Exit codes: 0 ok, 2 usage errors (bad arguments or keys), 1 anything else.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "evermirror/commands/v1/commands.pb.h"
#include "services/cli/pair_commands.h"

namespace evermirror::cli {

// What a box's receipt log says, folded: the latest progress per site and the receipts of
// one command log (ours), by index.
struct BoxReceipts {
  std::string name;
  uint64_t length = 0;
  std::map<std::string, commands::v1::SiteProgress> sites;
  std::map<uint64_t, commands::v1::CommandReceipt> commands;
};
// Reads every receipt of `box_key` (paged) and folds it, keeping command receipts of `log_key`.
absl::StatusOr<BoxReceipts> ReadBoxReceipts(IngestClient& client, const std::string& box_key,
                                            const std::string& log_key);

// One line for a site's progress: "v3 (serving v3)  120/260 blocks  1.2/2.5 MB  syncing 46%".
std::string DescribeProgress(const commands::v1::SiteProgress& progress);

// `args` are the words after "mirror" (args[0] is the subcommand). Returns the exit code.
int RunMirror(const std::vector<std::string>& args, IngestCliEnvironment& environment);
// argv[0] is the program, argv[1] "mirror".
int RunMirrorCommand(int argc, char** argv);

}  // namespace evermirror::cli
