// `evermirror site ...`: author, publish and inspect Dat sites (hyperdrive 9 archives,
// shared/drive) on a laptop.
//
// With a node running (`evermirror up`), `create` makes the site in the node's replicator and
// `publish` publishes through it: the node stores the site and seeds it to peers (a box told to
// mirror it fetches it from there). Without one, sites are authored offline:
// Storage: sites live under $EVERMIRROR_HOME (default ~/.evermirror) in `sites/<hex key>/`, in
// the reference layout (`metadata/`, `content/`), so npm hyperdrive opens them as they are. A
// folder is linked to its site by a one-line file `DIR/.evermirror-site` holding the hex key
// (in the spirit of Dat's `.dat`); it is never published. `--storage PATH` points the read
// commands at any archive directory instead (for example one written by the reference).
//
//   site create DIR                        new site for DIR (version 0); prints its key
//   site publish DIR                       append what changed in DIR as a new version
//   site ls KEY [PATH] [--version N]       list a directory (or show one file)
//   site cat KEY PATH [--version N]        print a file
//   site info KEY                          keys, version, sizes, storage
//   site log KEY                           every version and what it changed
// Exit codes: 0 ok, 2 usage errors (bad arguments, a malformed key), 1 anything else.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/env/file_system.h"

namespace evermirror::cli {

// What the site commands need from the process, so tests run them on a MemFileSystem.
struct SiteEnvironment {
  env::FileSystem* fs = nullptr;
  std::string home;                             // $EVERMIRROR_HOME, resolved
  std::function<void(std::string_view)> out;    // stdout
  std::function<void(std::string_view)> err;    // stderr
  bool terminal = false;                        // stdout is a terminal: draw a progress bar
  // The local node's replicator (`evermirror up`; $EVERMIRROR_REPLICATOR, default
  // 127.0.0.1:7401, or --replicator): when it answers, create and publish go through it so
  // the site is seeded. Empty: always offline.
  std::string node_address;
  // The node's ingest ($EVERMIRROR_INGEST_ADDRESS, default 127.0.0.1:7403, or --ingest): asked
  // to keep (announce, seed, serve) the sites created and published through the node.
  std::string ingest_address;
};

// `args` are the words after "site" (args[0] is the subcommand). Returns the exit code.
int RunSite(const std::vector<std::string>& args, SiteEnvironment& environment);

// argv[0] is the program, argv[1] "site": wires the real file system, environment and stdout.
int RunSiteCommand(int argc, char** argv);

}  // namespace evermirror::cli
