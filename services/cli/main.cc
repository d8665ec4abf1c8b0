// evermirror: the command-line tool. Wiring only: each command group lives in its own file.
#include <cstdio>
#include <cstring>

#include "services/cli/feed_commands.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "feed") == 0) return evermirror::cli::RunFeedCommand(argc, argv);
  std::fprintf(stderr,
               "usage: evermirror <command> ...\n"
               "  feed demo FOLDER --storage DIR   create a feed from a folder's files\n"
               "  feed info DIR                    show a stored feed\n"
               "  feed cat DIR INDEX               print one block\n");
  return 2;
}
