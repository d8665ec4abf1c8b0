// Test support: a child process with pipes to its stdin and stdout (stderr passes through),
// for tests that drive reference peers (node, python) and evermirror binaries.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evermirror::testing {

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH) with `env` entries ("K=V") added to the environment.
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::vector<std::string>& env = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();  // kills (SIGKILL) and reaps if still running

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_fd_; }
  absl::Status WriteLine(const std::string& line);
  void CloseStdin();
  // Reads what is available from stdout into the line buffer (non-blocking).
  void Drain();
  // The next complete stdout line, waiting up to `timeout`; nullopt on timeout or EOF.
  std::optional<std::string> ReadLine(absl::Duration timeout);
  // Everything read from stdout so far.
  const std::string& output() const { return all_; }
  // Waits up to `timeout` for exit; the exit code (or -signal), nullopt if still running.
  std::optional<int> Wait(absl::Duration timeout);
  void Kill(int signal);

 private:
  ChildProcess(pid_t pid, int in_fd, int out_fd) : pid_(pid), in_fd_(in_fd), out_fd_(out_fd) {}

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string buffer_;  // unread partial lines
  std::string all_;
  std::optional<int> exit_code_;
};

}  // namespace evermirror::testing
