#include "services/cli/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/rpc/client.h"

namespace evermirror::cli {

Supervisor::~Supervisor() { Stop(); }

absl::StatusOr<pid_t> Supervisor::Spawn(const ServiceSpec& spec) {
  const int log = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return absl::UnavailableError(absl::StrCat(spec.log_path, ": ", std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    // The child: its own process group (Ctrl-C reaches the supervisor, which stops the
    // services in order), signals unblocked, output to the log. If the supervisor is killed
    // (SIGKILL leaves it no time to stop anyone) the service gets SIGTERM and shuts down
    // cleanly instead of holding its ports for the next `up`. The death signal follows the
    // forking thread, which lives as long as the supervisor watches (main or watcher thread).
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the supervisor died before prctl
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    std::vector<char*> args;
    for (const std::string& a : spec.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  return pid;
}

absl::Status Supervisor::WaitHealthy(Child& child) {
  if (child.spec.health_address.empty()) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = rpc::MakeChannel(child.spec.health_address);
  if (!channel.ok()) return channel.status();
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  absl::Status health = absl::UnavailableError("not started");
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(child.pid, &status, WNOHANG) == child.pid) {
      child.pid = -1;
      return absl::UnavailableError(absl::StrCat("evermirror-", child.spec.name, " exited at start (exit ",
                                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, "); see ",
                                                 child.spec.log_path));
    }
    health = rpc::CheckHealth(*channel, "", absl::Seconds(1));
    if (health.ok()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("evermirror-", child.spec.name, " did not become healthy at ",
                                                  child.spec.health_address, " (", health.message(), "); see ",
                                                  child.spec.log_path));
}

absl::Status Supervisor::Start(std::vector<ServiceSpec> services) {
  for (ServiceSpec& spec : services) {
    absl::StatusOr<pid_t> pid = Spawn(spec);
    if (!pid.ok()) return pid.status();
    Child child{std::move(spec), *pid, absl::Now(), options_.min_restart_delay};
    absl::Status healthy = WaitHealthy(child);
    {
      absl::MutexLock lock(&mu_);
      children_.push_back(std::move(child));
    }
    if (!healthy.ok()) return healthy;
  }
  watcher_ = std::thread([this] { Watch(); });
  return absl::OkStatus();
}

// Reaps dead children and restarts them after their delay, which doubles on every quick death
// and resets once a run lasted `stable_after`.
void Supervisor::Watch() {
  while (!stopping_) {
    absl::SleepFor(absl::Milliseconds(200));
    absl::MutexLock lock(&mu_);
    for (Child& child : children_) {
      int status = 0;
      if (child.pid > 0 && ::waitpid(child.pid, &status, WNOHANG) == child.pid) {
        const absl::Duration ran = absl::Now() - child.started;
        if (ran >= options_.stable_after) child.next_delay = options_.min_restart_delay;
        log::Warn("service_exited")
            .Kv("service", child.spec.name)
            .Kv("status", WIFEXITED(status) ? absl::StrCat("exit ", WEXITSTATUS(status))
                                            : absl::StrCat("signal ", WTERMSIG(status)))
            .Kv("restart_in_ms", absl::ToInt64Milliseconds(child.next_delay))
            .Kv("log", child.spec.log_path);
        child.pid = -1;
        child.restart_at = absl::Now() + child.next_delay;
        child.next_delay = std::min(child.next_delay * 2, options_.max_restart_delay);
      }
      if (child.pid < 0 && absl::Now() >= child.restart_at && !stopping_) {
        absl::StatusOr<pid_t> pid = Spawn(child.spec);
        if (pid.ok()) {
          child.pid = *pid;
          child.started = absl::Now();
          child.restart_at = absl::InfiniteFuture();
          ++child.restarts;
          log::Info("service_restarted").Kv("service", child.spec.name).Kv("restarts", child.restarts);
        }
      }
    }
  }
}

void Supervisor::Stop() {
  if (stopping_.exchange(true)) return;
  if (watcher_.joinable()) watcher_.join();
  absl::MutexLock lock(&mu_);
  // Reverse order: the services that depend on others go first.
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (it->pid > 0) ::kill(it->pid, SIGTERM);
  }
  const absl::Time deadline = absl::Now() + options_.stop_grace;
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    while (it->pid > 0) {
      const pid_t reaped = ::waitpid(it->pid, nullptr, WNOHANG);
      if (reaped == it->pid || (reaped < 0 && errno == ECHILD)) {
        it->pid = -1;
      } else if (absl::Now() >= deadline) {
        ::kill(it->pid, SIGKILL);
        ::waitpid(it->pid, nullptr, 0);
        log::Warn("service_killed").Kv("service", it->spec.name).Kv("reason", "did not stop in time");
        it->pid = -1;
      } else {
        absl::SleepFor(absl::Milliseconds(50));
      }
    }
  }
}

pid_t Supervisor::pid(const std::string& name) {
  absl::MutexLock lock(&mu_);
  for (const Child& child : children_) {
    if (child.spec.name == name) return child.pid;
  }
  return -1;
}

int Supervisor::restarts(const std::string& name) {
  absl::MutexLock lock(&mu_);
  for (const Child& child : children_) {
    if (child.spec.name == name) return child.restarts;
  }
  return 0;
}

}  // namespace evermirror::cli
