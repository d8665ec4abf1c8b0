// evermirror: the command-line tool. Wiring only: each command group lives in its own file.
#include <cstdio>
#include <cstring>

#include "absl/synchronization/mutex.h"
#include "services/cli/feed_commands.h"
#include "services/cli/mirror_commands.h"
#include "services/cli/pair_commands.h"
#include "services/cli/site_commands.h"
#include "services/cli/up_command.h"

int main(int argc, char** argv) {
  // As the services run (rpc::PrepareServiceProcess): Debian's Abseil otherwise checks lock
  // order on every Mutex lock, a cost on each block `site publish` appends.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (argc >= 2 && std::strcmp(argv[1], "feed") == 0) return evermirror::cli::RunFeedCommand(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "site") == 0) return evermirror::cli::RunSiteCommand(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "mirror") == 0) return evermirror::cli::RunMirrorCommand(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "pair") == 0) return evermirror::cli::RunPairCommand(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "trust") == 0) return evermirror::cli::RunTrustCommand(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "up") == 0) return evermirror::cli::RunUpCommand(argc, argv);
  std::fprintf(stderr,
               "usage: evermirror <command> ...\n"
               "  up [--data DIR] [--no-demo]       run the whole box here (Ctrl-C stops it)\n"
               "  feed demo FOLDER --storage DIR   create a feed from a folder's files\n"
               "  feed info DIR                    show a stored feed\n"
               "  feed cat DIR INDEX               print one block\n"
               "  site create DIR                  new Dat site (hyperdrive 9) for a folder\n"
               "  site publish DIR                 publish what changed in the folder\n"
               "  site ls|cat|info|log KEY ...     read a site (see `evermirror site`)\n"
               "  mirror add SITE --to BOX [--wait]   have a box mirror a site (also remove, list, status)\n"
               "  pair                             this machine's keys, to exchange with a box\n"
               "  trust KEY                        obey the commands of owner KEY (also trust list|remove)\n");
  return 2;
}
