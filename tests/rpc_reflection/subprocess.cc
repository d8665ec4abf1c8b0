#include "tests/rpc_reflection/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace evermirror::testing {
namespace {

std::vector<std::string> BuildEnv(const EnvOverrides& overrides) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : overrides) {
    if (v.empty()) {
      env.erase(k);
    } else {
      env[k] = v;
    }
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(absl::StrCat(k, "=", v));
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// fork + exec with stdout/stderr sent to the given descriptors (-1: /dev/null).
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const EnvOverrides& overrides, int out_fd,
                            int err_fd) {
  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnv(overrides);
  std::vector<char*> arg_ptrs = Pointers(args);
  std::vector<char*> env_ptrs = Pointers(env);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
    dup2(err_fd >= 0 ? err_fd : null_fd, STDERR_FILENO);
    // The test may run with signals blocked; the child starts clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(arg_ptrs[0], arg_ptrs.data(), env_ptrs.data());
    _exit(127);
  }
  return pid;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const std::vector<std::string>& argv,
                                                              const EnvOverrides& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  absl::StatusOr<pid_t> pid = Spawn(argv, env, -1, fds[1]);
  close(fds[1]);
  if (!pid.ok()) {
    close(fds[0]);
    return pid.status();
  }
  return std::unique_ptr<Subprocess>(new Subprocess(*pid, fds[0]));
}

Subprocess::Subprocess(pid_t pid, int stderr_fd) : pid_(pid) {
  reader_ = std::thread([this, stderr_fd] { ReadLoop(stderr_fd); });
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  reader_.join();
}

void Subprocess::ReadLoop(int fd) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    absl::MutexLock lock(&mu_);
    stderr_.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  absl::MutexLock lock(&mu_);
  eof_ = true;
}

absl::StatusOr<std::string> Subprocess::WaitForLine(std::string_view needle, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  size_t at = std::string::npos;
  auto found = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    at = stderr_.find(std::string(needle));
    // A whole line only: the writer may be mid-line.
    return (at != std::string::npos && stderr_.find('\n', at) != std::string::npos) || eof_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&found), timeout);
  if (at == std::string::npos || stderr_.find('\n', at) == std::string::npos) {
    const std::string why = eof_ ? "the process exited first" : "timed out";
    return eof_ ? absl::FailedPreconditionError(absl::StrCat(why, "; stderr:\n", stderr_))
                : absl::DeadlineExceededError(absl::StrCat(why, "; stderr:\n", stderr_));
  }
  const size_t start = stderr_.rfind('\n', at);
  const size_t begin = start == std::string::npos ? 0 : start + 1;
  return stderr_.substr(begin, stderr_.find('\n', at) - begin);
}

void Subprocess::Signal(int signal) { kill(pid_, signal); }

int Subprocess::Wait() {
  if (!reaped_) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = ExitCode(status);
    reaped_ = true;
  }
  return exit_code_;
}

std::string Subprocess::Stderr() {
  absl::MutexLock lock(&mu_);
  return stderr_;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv, const EnvOverrides& env) {
  char out_path[] = "/tmp/em-cmd-out-XXXXXX";
  char err_path[] = "/tmp/em-cmd-err-XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  absl::StatusOr<pid_t> pid = Spawn(argv, env, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  CommandResult result;
  if (pid.ok()) {
    int status = 0;
    while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = ExitCode(status);
    result.out = ReadWholeFile(out_path);
    result.err = ReadWholeFile(err_path);
  }
  unlink(out_path);
  unlink(err_path);
  if (!pid.ok()) return pid.status();
  return result;
}

}  // namespace evermirror::testing
