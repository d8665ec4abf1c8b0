#include "shared/config/service_config.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/config/docs.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::config {
namespace {

constexpr char kBoxDescription[] = "Settings every service on the box shares.";
constexpr char kLogDescription[] = "Structured logs on stderr, one line per event.";

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

}  // namespace

absl::Status BoxOptions::Validate() const {
  if (data_dir.empty()) return absl::InvalidArgumentError("box.data_dir: must not be empty");
  bool name_ok = !name.empty() && name.size() <= 64;
  for (char c : name) name_ok = name_ok && IsNameChar(c);
  if (!name_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("box.name: \"", name, "\" must be 1 to 64 characters from A-Z a-z 0-9 . _ -"));
  }
  return absl::OkStatus();
}

void DeclareBoxOptions(Section& section, BoxOptions* options) {
  section.String("name", &options->name, "This box's name, shown in logs and receipts.")
      .String("data_dir", &options->data_dir, "Directory under which each service keeps its state (<data_dir>/<service>).");
}

void DeclareLogOptions(Section& section, LogOptions* options) {
  section.Choice("level", &options->level, {"debug", "info", "warn", "error"}, "Least severe log level written.")
      .Choice("format", &options->format, {"kv", "json"}, "Log line format: key=value pairs or one JSON object per line.");
}

absl::Status ConfigureLogging(const LogOptions& options, std::string_view service) {
  std::optional<log::Level> level = log::ParseLevel(options.level);
  if (!level) return absl::InvalidArgumentError(absl::StrCat("log.level: unknown level \"", options.level, "\""));
  std::optional<log::Format> format = log::ParseFormat(options.format);
  if (!format) return absl::InvalidArgumentError(absl::StrCat("log.format: unknown format \"", options.format, "\""));
  log::Configure(*level, *format, service);
  return absl::OkStatus();
}

std::string GenerateBoxMarkdown(const std::vector<const ServiceConfig*>& services) {
  BoxOptions box;
  LogOptions log;
  Section box_section("box", kBoxDescription);
  Section log_section("log", kLogDescription);
  DeclareBoxOptions(box_section, &box);
  DeclareLogOptions(log_section, &log);
  std::vector<const Section*> sections = {&box_section, &log_section};
  for (const ServiceConfig* service : services) sections.push_back(service->loader().sections().front());
  return GenerateMarkdown(sections);
}

ServiceConfig::ServiceConfig(std::string service, std::string description)
    : service_(service), loader_(absl::StrCat("evermirror-", service)) {
  own_ = &loader_.AddSection(service, std::move(description));
  DeclareBoxOptions(loader_.AddSection("box", kBoxDescription), &box_);
  DeclareLogOptions(loader_.AddSection("log", kLogDescription), &log_);
  for (std::string_view other : kServiceSections) {
    if (other != service) loader_.AllowSection(std::string(other));
  }
  AddValidator([this] { return box_.Validate(); });
}

void ServiceConfig::AddValidator(std::function<absl::Status()> validator) {
  validators_.push_back(std::move(validator));
}

absl::Status ServiceConfig::Load(const std::vector<std::string>& args, const Environment& environment,
                                 env::FileSystem& fs) {
  EM_RETURN_IF_ERROR(loader_.Load(args, environment, fs));
  if (help_requested()) return absl::OkStatus();
  std::vector<std::string> errors;
  for (const auto& validator : validators_) {
    absl::Status s = validator();
    if (!s.ok()) errors.emplace_back(s.message());
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return ConfigureLogging(log_, service_);
}

void ServiceConfig::LoadOrExit(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  absl::Status status = Load(args, ProcessEnvironment(), *env::DefaultFileSystem());
  if (status.ok() && help_requested()) {
    std::fputs(HelpText().c_str(), stdout);
    std::exit(0);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s: bad configuration:\n  %s\n", loader_.program().c_str(),
                 absl::StrJoin(absl::StrSplit(status.message(), '\n'), "\n  ").c_str());
    std::exit(2);
  }
  log::Info("config_loaded").Kv("file", loader_.config_path().empty() ? "(none)" : loader_.config_path());
  if (!log::Enabled(log::Level::kDebug)) return;
  for (const Section* section : loader_.sections()) {
    for (const auto& option : section->options()) {
      log::Debug("config_value").Kv("key", absl::StrCat(section->name(), ".", option->key())).Kv("value", option->CurrentText());
    }
  }
}

}  // namespace evermirror::config
