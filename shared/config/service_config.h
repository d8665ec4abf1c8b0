// What a service's main.cc uses to read configuration: the box-wide [box] and [log] sections
// plus the service's own section, loaded from file, environment and flags, validated, and the
// logger configured from [log]. Bad configuration ends the process with status 2.
//   config::ServiceConfig config("replicator", "Feed storage and replication.");
//   replicator::DeclareOptions(config.section(), &options);
//   config.AddValidator([&] { return options.Validate(); });
//   config.LoadOrExit(argc, argv);
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "shared/config/loader.h"
#include "shared/config/schema.h"
#include "shared/env/file_system.h"

namespace evermirror::config {

// The sections of the one box config file that belong to services.
inline constexpr std::array<std::string_view, 4> kServiceSections = {"replicator", "swarm", "ingest", "gateway"};

// [box]: settings every service shares.
struct BoxOptions {
  std::string name = "evermirror";              // this box's name, shown in logs and receipts
  std::string data_dir = "/var/lib/evermirror";  // services keep their state under <data_dir>/<service>
  // InvalidArgument naming the field: empty data_dir, or a name outside [A-Za-z0-9._-]{1,64}.
  absl::Status Validate() const;
};

// [log]: the structured log lines of shared/base/logging.h.
struct LogOptions {
  std::string level = "info";  // debug|info|warn|error
  std::string format = "kv";   // kv (key=value) or json
};

void DeclareBoxOptions(Section& section, BoxOptions* options);
void DeclareLogOptions(Section& section, LogOptions* options);
// Applies `options` to the process-wide logger, tagging lines with service=`service`.
// InvalidArgument for an unknown level or format (cannot happen after loading through the schema).
absl::Status ConfigureLogging(const LogOptions& options, std::string_view service);

class ServiceConfig;

// The whole docs/configuration.md for the box: [box] and [log] once, then the own section of
// each of `services` in the given order (each built with its options declared).
std::string GenerateBoxMarkdown(const std::vector<const ServiceConfig*>& services);

// Not thread-safe: use from main before starting threads.
class ServiceConfig {
 public:
  // `service` is the section name ("replicator"); the program is "evermirror-<service>".
  // Sections of the other services are allowed in the file and skipped.
  ServiceConfig(std::string service, std::string description);

  // The service's own section; declare its options here before loading.
  Section& section() { return *own_; }
  const BoxOptions& box() const { return box_; }
  const LogOptions& log() const { return log_; }
  const Loader& loader() const { return loader_; }
  // Checks run after loading, e.g. [&] { return options.Validate(); }. Their messages should
  // name the field ("replicator.max_peers: ...").
  void AddValidator(std::function<absl::Status()> validator);

  // Loads (see Loader::Load), runs the validators and configures logging. With --help, only
  // parses the arguments. Errors: those of Loader::Load, then the validators' own.
  absl::Status Load(const std::vector<std::string>& args, const Environment& environment, env::FileSystem& fs);
  bool help_requested() const { return loader_.help_requested(); }
  std::string HelpText() const { return loader_.HelpText(); }

  // For main(): Load() from argv, the process environment and the real file system. Prints
  // --help to stdout and exits 0; prints errors to stderr and exits 2; logs config_loaded,
  // and at level debug every option's effective value (config_value key=... value=...).
  void LoadOrExit(int argc, char** argv);

 private:
  std::string service_;
  Loader loader_;
  Section* own_;
  BoxOptions box_;
  LogOptions log_;
  std::vector<std::function<absl::Status()>> validators_;
};

}  // namespace evermirror::config
