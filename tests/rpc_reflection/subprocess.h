// Runs programs for the multi-process tests: a long-lived server whose stderr is collected
// line by line (to find its "ready" log line and check its shutdown lines), and one-shot
// commands (buf curl) whose exit code and output are returned.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace evermirror::testing {

// Variables set on top of (or, with an empty value, removed from) this process's environment.
using EnvOverrides = std::map<std::string, std::string>;

class Subprocess {
 public:
  // Starts argv[0] (a path) with stdout discarded and stderr captured. Internal on failure.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv,
                                                           const EnvOverrides& env = {});
  // Kills (SIGKILL) and reaps the process if still running.
  ~Subprocess();

  // The first stderr line containing `needle`, waiting up to `timeout`. DeadlineExceeded
  // (with the output so far) if none came; FailedPrecondition if the process exited first.
  absl::StatusOr<std::string> WaitForLine(std::string_view needle, absl::Duration timeout);
  // Sends `signal`.
  void Signal(int signal);
  // Waits for the exit and returns the exit code (128 + n if killed by signal n).
  int Wait();
  // Everything written to stderr so far.
  std::string Stderr();

 private:
  Subprocess(pid_t pid, int stderr_fd);
  void ReadLoop(int fd);

  pid_t pid_;
  bool reaped_ = false;
  int exit_code_ = -1;
  absl::Mutex mu_;
  std::string stderr_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv to completion. Internal if it cannot be started.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv, const EnvOverrides& env = {});

}  // namespace evermirror::testing
