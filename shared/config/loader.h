// Loads a program's sections of the box config: defaults (the bound fields' initial values),
// then the TOML file, then EVERMIRROR_<SECTION>_<KEY> variables, then --flags. Also renders
// --help. Services normally use ServiceConfig (service_config.h), which wraps this.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "shared/config/schema.h"
#include "shared/env/file_system.h"

namespace evermirror::config {

// Environment variables, name -> value.
using Environment = std::map<std::string, std::string>;
// A snapshot of this process's environment.
Environment ProcessEnvironment();

// Names the config file when --config is absent.
inline constexpr char kConfigPathVariable[] = "EVERMIRROR_CONFIG";
// Upper bound on the config file's size.
inline constexpr uint64_t kMaxConfigFileBytes = 1 << 20;

// Not thread-safe: use from main before starting threads.
class Loader {
 public:
  // `program` names the binary in --help ("evermirror-replicator").
  explicit Loader(std::string program);

  // Adds a section (owned here; the reference stays valid). The first one added is the
  // primary section: its flags need no prefix (--max_peers); others take one (--log.level).
  Section& AddSection(std::string name, std::string description);
  // A section that other programs read from the same file: present in the file, skipped here.
  void AllowSection(std::string name);

  // `args` are argv[1..]. Accepted: --help/-h, --config=PATH, --KEY=VALUE,
  // --SECTION.KEY=VALUE, and --KEY alone for booleans; '-' and '_' are interchangeable.
  // The file is --config, else $EVERMIRROR_CONFIG, else none (defaults only); read via `fs`.
  // With --help, returns OK at once and help_requested() is true.
  // Errors: InvalidArgument listing every problem, one per line, each naming the field
  // ("replicator.max_peers") and where the value came from; an unreadable file keeps its
  // status code with the path in the message.
  absl::Status Load(const std::vector<std::string>& args, const Environment& environment, env::FileSystem& fs);

  bool help_requested() const { return help_requested_; }
  // The file that was read; empty when none.
  const std::string& config_path() const { return config_path_; }
  const std::string& program() const { return program_; }
  std::vector<const Section*> sections() const;
  // Usage text listing every option with its flag, default, constraint and variable.
  std::string HelpText() const;

 private:
  struct Flag {
    std::string name;   // as typed, without "--"
    std::string value;  // "true" for a bare boolean flag
    bool has_value = false;
  };
  Section* FindSection(std::string_view name) const;
  absl::Status ParseArgs(const std::vector<std::string>& args, std::vector<Flag>* flags);
  void ApplyFile(const std::string& text, std::vector<std::string>* errors);
  void ApplyEnvironment(const Environment& environment, std::vector<std::string>* errors);
  void ApplyFlags(const std::vector<Flag>& flags, std::vector<std::string>* errors);
  void ApplyFlag(const Flag& flag, std::vector<std::string>* errors);

  std::string program_;
  std::vector<std::unique_ptr<Section>> sections_;
  std::set<std::string> allowed_;
  bool help_requested_ = false;
  std::string config_path_;
};

}  // namespace evermirror::config
