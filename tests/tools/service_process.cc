#include "tests/tools/service_process.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "shared/base/status_macros.h"

namespace evermirror::testing {
namespace {

std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return offset < text.size() ? text.substr(offset) : "";
}

size_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

// The key=value fields of the first " event=ready " line of `log`.
std::optional<std::map<std::string, std::string>> ReadyFields(const std::string& log) {
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.find(" event=ready ") == absl::string_view::npos) continue;
    std::map<std::string, std::string> fields;
    for (absl::string_view kv : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      const size_t eq = kv.find('=');
      if (eq != absl::string_view::npos) fields[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
    return fields;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<ServiceProcess> ServiceProcess::Start(const std::string& binary, const std::vector<std::string>& flags,
                                                     const std::string& log_path, absl::Duration timeout) {
  const size_t offset = FileSize(log_path);
  // The log goes to a file, not a pipe nobody drains while the test waits; `exec` keeps the
  // pid the service's own, so kill -9 hits it.
  std::vector<std::string> argv = {"/bin/sh", "-c", absl::StrCat("exec \"$0\" \"$@\" 2>>'", log_path, "'"), binary};
  argv.insert(argv.end(), flags.begin(), flags.end());
  EM_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Start(argv));
  const absl::Time deadline = absl::Now() + timeout;
  std::optional<std::map<std::string, std::string>> ready;
  while (!(ready = ReadyFields(ReadFrom(log_path, offset))).has_value()) {
    if (child.Wait(absl::Milliseconds(10)).has_value() || absl::Now() > deadline) {
      return absl::InternalError(absl::StrCat(binary, " did not get ready; log:\n", ReadFrom(log_path, offset)));
    }
  }
  return ServiceProcess(std::move(child), log_path, offset, std::move(*ready));
}

std::string ServiceProcess::Field(const std::string& key) const {
  auto it = ready_.find(key);
  return it == ready_.end() ? "" : it->second;
}

std::string ServiceProcess::Log() const { return ReadFrom(log_path_, log_offset_); }

void ServiceProcess::Kill() {
  if (!child_.has_value() || child_->pid() <= 0) return;
  child_->Kill(SIGKILL);
  child_->Wait(absl::Seconds(10));
  child_.reset();
}

void ServiceProcess::Signal(int signal) {
  if (child_.has_value()) child_->Kill(signal);
}

absl::Status ServiceProcess::Stop() {
  if (!child_.has_value()) return absl::OkStatus();
  child_->Kill(SIGTERM);
  std::optional<int> code = child_->Wait(absl::Seconds(30));
  child_.reset();
  if (!code.has_value()) return absl::InternalError(absl::StrCat("did not stop; log:\n", Log()));
  if (*code != 0) return absl::InternalError(absl::StrCat("exited with ", *code, "; log:\n", Log()));
  return absl::OkStatus();
}

}  // namespace evermirror::testing
