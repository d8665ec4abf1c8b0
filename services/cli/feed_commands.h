// `evermirror feed ...`: low-level feed commands (the demo of the foundation, and inspection).
#pragma once

namespace evermirror::cli {

// argv[0] is the program, argv[1] "feed"; returns the process exit code.
int RunFeedCommand(int argc, char** argv);

}  // namespace evermirror::cli
