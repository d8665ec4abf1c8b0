// Network-namespace helpers: unshare(CLONE_NEWNET) for the test's own namespace, an
// `unshare --net sleep` holder for a peer namespace, and fork/exec children that die with us.
#include "shared/lan/testing/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"

extern char** environ;

namespace evermirror::lan::testing {
namespace {

thread_local bool in_private_netns = false;

absl::StatusOr<ino_t> NetnsInode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return absl::InternalError(absl::StrCat("stat ", path, ": ", strerror(errno)));
  return st.st_ino;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::Status EnterPrivateNetns() {
  if (geteuid() != 0) return absl::FailedPreconditionError("network namespace tests need root");
  EM_ASSIGN_OR_RETURN(ino_t before, NetnsInode("/proc/thread-self/ns/net"));
  if (unshare(CLONE_NEWNET) != 0) return absl::InternalError(absl::StrCat("unshare(CLONE_NEWNET): ", strerror(errno)));
  EM_ASSIGN_OR_RETURN(ino_t after, NetnsInode("/proc/thread-self/ns/net"));
  if (before == after) return absl::InternalError("unshare did not change the network namespace");
  in_private_netns = true;
  return Shell("ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo").status();
}

bool InPrivateNetns() { return in_private_netns; }

absl::StatusOr<std::string> Shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("popen: ", strerror(errno)));
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) return absl::InternalError(absl::StrCat("`", command, "` failed (", status, "): ", output));
  return output;
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const Options& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("empty argv");
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), options.extra_env.begin(), options.extra_env.end());
  std::vector<char*> envp, argv;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage = options.argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string ns_path = options.netns_of ? absl::StrCat("/proc/", options.netns_of, "/ns/net") : "";
  const std::string out_path = options.output_path.empty() ? "/dev/null" : options.output_path;
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (!ns_path.empty()) {
      const int fd = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
    }
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    const int in = open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, 0);
    if (!options.working_dir.empty() && chdir(options.working_dir.c_str()) != 0) _exit(125);
    execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so Kill() works even before the child ran
  return std::unique_ptr<Subprocess>(new Subprocess(pid));
}

Subprocess::~Subprocess() { Kill(); }

std::optional<int> Subprocess::WaitFor(absl::Duration timeout) {
  if (exit_code_) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (r < 0 || absl::Now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Subprocess::Kill() {
  kill(-pid_, SIGKILL);
  if (!exit_code_) {
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) exit_code_ = 128 + SIGKILL;
  }
}

namespace {

// The local end's set-up: an address and the multicast route, or a bridge port.
std::string LocalEndSetup(const std::string& local_if, const std::string& local_cidr, const std::string& bridge) {
  if (!bridge.empty()) return absl::StrCat(" && ip link set ", local_if, " master ", bridge, " && ip link set ", local_if, " up");
  return absl::StrCat(" && ip addr add ", local_cidr, " dev ", local_if, " && ip link set ", local_if,
                      " up multicast on && ip route add 224.0.0.0/4 dev ", local_if, " metric 10");
}

}  // namespace

absl::StatusOr<std::unique_ptr<VethPeer>> VethPeer::Create(const std::string& local_if, const std::string& local_cidr,
                                                           const std::string& peer_if, const std::string& peer_cidr) {
  return CreateWith(local_if, local_cidr, "", peer_if, peer_cidr);
}

absl::StatusOr<std::unique_ptr<VethPeer>> VethPeer::CreateOnBridge(const std::string& bridge, const std::string& local_if,
                                                                   const std::string& peer_if, const std::string& peer_cidr) {
  return CreateWith(local_if, "", bridge, peer_if, peer_cidr);
}

absl::StatusOr<std::unique_ptr<VethPeer>> VethPeer::CreateWith(const std::string& local_if, const std::string& local_cidr,
                                                               const std::string& bridge, const std::string& peer_if,
                                                               const std::string& peer_cidr) {
  if (!InPrivateNetns()) return absl::FailedPreconditionError("VethPeer needs EnterPrivateNetns() first");
  EM_ASSIGN_OR_RETURN(ino_t ours, NetnsInode("/proc/thread-self/ns/net"));
  Subprocess::Options holder_options;
  holder_options.argv = {"unshare", "--net", "sleep", "infinity"};
  EM_ASSIGN_OR_RETURN(auto holder, Subprocess::Start(holder_options));
  const std::string peer_ns = absl::StrCat("/proc/", holder->pid(), "/ns/net");
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (true) {  // wait until the holder has left our namespace
    absl::StatusOr<ino_t> theirs = NetnsInode(peer_ns);
    if (theirs.ok() && *theirs != ours) break;
    if (absl::Now() > deadline) return absl::InternalError("peer namespace holder did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto peer = std::unique_ptr<VethPeer>(new VethPeer(std::move(holder), local_if));
  EM_RETURN_IF_ERROR(Shell(absl::StrCat("ip link add ", local_if, " type veth peer name ", peer_if, " netns ",
                                        peer->holder_pid(), LocalEndSetup(local_if, local_cidr, bridge)))
                         .status());
  EM_RETURN_IF_ERROR(peer->ShellInPeer(absl::StrCat("ip link set lo up && ip addr add ", peer_cidr, " dev ", peer_if,
                                                    " && ip link set ", peer_if,
                                                    " up multicast on && ip route add 224.0.0.0/4 dev ", peer_if))
                         .status());
  // The kernel drops packets on a fresh veth until linkwatch has activated its qdisc (up to a
  // second after link-up), so wait until both ends report state UP with their real qdisc.
  const std::string check = absl::StrCat("ip -o link show dev ", local_if, " | grep -v 'qdisc noop' | grep -q 'state UP'");
  const std::string peer_check = absl::StrCat("ip -o link show dev ", peer_if, " | grep -v 'qdisc noop' | grep -q 'state UP'");
  const absl::Time up_deadline = absl::Now() + absl::Seconds(10);
  while (!Shell(check).ok() || !peer->ShellInPeer(peer_check).ok()) {
    if (absl::Now() > up_deadline) return absl::InternalError("veth pair did not come up");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return peer;
}

VethPeer::~VethPeer() {
  (void)Shell(absl::StrCat("ip link del ", local_if_));
  holder_->Kill();
}

absl::StatusOr<std::string> VethPeer::ShellInPeer(const std::string& command) const {
  return Shell(absl::StrCat("nsenter --net=/proc/", holder_pid(), "/ns/net sh -c ", Quote(command)));
}

absl::Status RunInNetnsOf(pid_t pid, const std::function<void()>& fn) {
  absl::Status status;
  std::thread thread([&] {
    const std::string path = absl::StrCat("/proc/", pid, "/ns/net");
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      status = absl::InternalError(absl::StrCat("setns ", path, ": ", strerror(errno)));
      if (fd >= 0) close(fd);
      return;
    }
    close(fd);
    fn();
  });
  thread.join();
  return status;
}

}  // namespace evermirror::lan::testing
