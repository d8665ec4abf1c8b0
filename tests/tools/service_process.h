// Test support for the multi-process tests: one real evermirror service process (any of the
// four) with its stderr log in a file, ready once it logs its `ready` line, whose key=value fields
// (grpc=..., peer_port=..., metrics=...) say where it listens. Run inside netns_run.sh.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/tools/child_process.h"

namespace evermirror::testing {

// Not thread-safe.
class ServiceProcess {
 public:
  // Starts `binary` with `flags`, logging to `log_path` (appended), and waits for its ready
  // line. Internal (with the log) if it exits or is not ready within `timeout`.
  static absl::StatusOr<ServiceProcess> Start(const std::string& binary, const std::vector<std::string>& flags,
                                              const std::string& log_path,
                                              absl::Duration timeout = absl::Seconds(30));
  ServiceProcess(ServiceProcess&& other) noexcept
      : child_(std::move(other.child_)), log_path_(std::move(other.log_path_)), log_offset_(other.log_offset_),
        ready_(std::move(other.ready_)) {
    other.child_.reset();  // a moved-from ChildProcess must not be waited for (its pid is -1)
  }
  ServiceProcess& operator=(ServiceProcess&&) = delete;
  ~ServiceProcess() { Kill(); }  // SIGKILL if still running

  pid_t pid() const { return child_ ? child_->pid() : -1; }
  // A field of the ready line ("" if absent).
  std::string Field(const std::string& key) const;
  // This run's log so far.
  std::string Log() const;
  void Kill();                     // SIGKILL, then reap
  absl::Status Stop();             // SIGTERM; Internal unless it exits 0 within 30 s
  void Signal(int signal);         // e.g. SIGSTOP / SIGCONT; nothing once stopped

 private:
  ServiceProcess(ChildProcess child, std::string log_path, size_t log_offset,
                 std::map<std::string, std::string> ready)
      : child_(std::move(child)), log_path_(std::move(log_path)), log_offset_(log_offset), ready_(std::move(ready)) {}

  std::optional<ChildProcess> child_;
  std::string log_path_;
  size_t log_offset_ = 0;
  std::map<std::string, std::string> ready_;
};

}  // namespace evermirror::testing
