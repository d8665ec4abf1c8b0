// Network-namespace helpers for tests that open real multicast sockets (PROTOCOLS.md §5): a
// private namespace with only `lo`, a second namespace joined by a veth pair, and child processes
// that die with the test. Used by shared/lan's socket test and tests/lan_interop. Needs root.
// Nothing here ever touches the namespace the test started in, except to leave it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evermirror::lan::testing {

// Moves the calling thread into a new network namespace holding only `lo` (up, multicast on,
// 224.0.0.0/4 routed to it). Threads and processes started by this thread afterwards inherit it;
// the namespace vanishes with them. Call it first in a test suite, from the main thread.
// FailedPrecondition unless root; Internal if the namespace could not be set up.
absl::Status EnterPrivateNetns();

// True once EnterPrivateNetns succeeded on this thread (and the namespace really differs).
bool InPrivateNetns();

// Runs `/bin/sh -c command` in the current namespace and returns its stdout and stderr.
// Internal with the output if it exits non-zero.
absl::StatusOr<std::string> Shell(const std::string& command);

// A child process in its own process group. The destructor SIGKILLs the group and reaps it; the
// child also gets SIGKILL if this thread dies (PR_SET_PDEATHSIG). Not thread-safe.
class Subprocess {
 public:
  struct Options {
    std::vector<std::string> argv;       // argv[0] is looked up in PATH
    std::vector<std::string> extra_env;  // "NAME=value", added to this process's environment
    pid_t netns_of = 0;                  // if set: join that process's network namespace first
    std::string output_path;             // stdout and stderr (appended); /dev/null if empty
    std::string working_dir;             // if set: chdir there
  };
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const Options& options);
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // Waits up to `timeout` for the exit; the exit code (128+signal if killed), or nullopt.
  std::optional<int> WaitFor(absl::Duration timeout);
  // Kills the process group and reaps the child. Idempotent.
  void Kill();

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> exit_code_;
};

// A second network namespace joined to the current private one by a veth pair, each end with an
// IPv4 address, 224.0.0.0/4 routed to it and no other route. A holder process keeps the peer
// namespace alive; it and the pair disappear with this object or the test process.
// REQUIRES: InPrivateNetns().
class VethPeer {
 public:
  // `local_cidr` / `peer_cidr` like "169.254.77.1/24"; interface names <= 15 bytes.
  static absl::StatusOr<std::unique_ptr<VethPeer>> Create(const std::string& local_if, const std::string& local_cidr,
                                                          const std::string& peer_if, const std::string& peer_cidr);
  // Like Create, but the local end has no address: it is a port of the existing bridge
  // `bridge` in the current namespace, so several peers share one LAN (multicast included).
  static absl::StatusOr<std::unique_ptr<VethPeer>> CreateOnBridge(const std::string& bridge, const std::string& local_if,
                                                                  const std::string& peer_if, const std::string& peer_cidr);
  // The local end's name (ip link set <it> down/up cuts/restores the peer's link).
  const std::string& local_if() const { return local_if_; }
  // Processes started with Subprocess::Options::netns_of = holder_pid() run in the peer namespace.
  pid_t holder_pid() const { return holder_->pid(); }
  // Runs a shell command inside the peer namespace.
  absl::StatusOr<std::string> ShellInPeer(const std::string& command) const;
  // Deletes the pair (so its names can be reused at once) and ends the peer namespace.
  ~VethPeer();

 private:
  static absl::StatusOr<std::unique_ptr<VethPeer>> CreateWith(const std::string& local_if, const std::string& local_cidr,
                                                              const std::string& bridge, const std::string& peer_if,
                                                              const std::string& peer_cidr);
  VethPeer(std::unique_ptr<Subprocess> holder, std::string local_if)
      : holder_(std::move(holder)), local_if_(std::move(local_if)) {}
  std::unique_ptr<Subprocess> holder_;
  std::string local_if_;
};

// Runs `fn` on a new thread that first joins the network namespace of process `pid`; sockets it
// opens (and threads it starts) stay in that namespace. Internal if setns fails.
absl::Status RunInNetnsOf(pid_t pid, const std::function<void()>& fn);

// Reads a whole file; empty if missing.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace evermirror::lan::testing
