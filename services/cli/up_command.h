// `evermirror up`: runs the whole box locally — the four services as supervised processes with
// an embedded default configuration (loopback only) and a data directory — publishes the
// bundled example site, prints where everything is, and stops it all on Ctrl-C.
#pragma once

namespace evermirror::cli {

// argv[1] is "up". Returns the exit code.
int RunUpCommand(int argc, char** argv);

}  // namespace evermirror::cli
