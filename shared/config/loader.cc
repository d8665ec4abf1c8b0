#include "shared/config/loader.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/config/docs.h"
#include "shared/config/toml_reader.h"

extern char** environ;

namespace evermirror::config {
namespace {

// Sets one option and turns a failure into "section.key: problem (source)".
void SetOption(const Section& section, const Option& option, const RawValue& value, std::string_view source,
               std::vector<std::string>* errors) {
  absl::Status s = option.Set(value);
  if (!s.ok()) {
    errors->push_back(absl::StrCat(section.name(), ".", option.key(), ": ", s.message(), " (", ToAbsl(source), ")"));
  }
}

}  // namespace

Environment ProcessEnvironment() {
  Environment out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

Loader::Loader(std::string program) : program_(std::move(program)) {}

Section& Loader::AddSection(std::string name, std::string description) {
  sections_.push_back(std::make_unique<Section>(std::move(name), std::move(description)));
  return *sections_.back();
}

void Loader::AllowSection(std::string name) { allowed_.insert(std::move(name)); }

std::vector<const Section*> Loader::sections() const {
  std::vector<const Section*> out;
  for (const auto& s : sections_) out.push_back(s.get());
  return out;
}

Section* Loader::FindSection(std::string_view name) const {
  for (const auto& s : sections_) {
    if (s->name() == name) return s.get();
  }
  return nullptr;
}

absl::Status Loader::Load(const std::vector<std::string>& args, const Environment& environment,
                          env::FileSystem& fs) {
  std::vector<Flag> flags;
  EM_RETURN_IF_ERROR(ParseArgs(args, &flags));
  if (help_requested_) return absl::OkStatus();
  if (config_path_.empty()) {
    auto it = environment.find(kConfigPathVariable);
    if (it != environment.end()) config_path_ = it->second;
  }
  std::vector<std::string> errors;
  if (!config_path_.empty()) {
    absl::StatusOr<std::string> text = env::ReadFile(fs, config_path_, kMaxConfigFileBytes);
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat("config file ", config_path_, ": ", text.status().message()));
    }
    ApplyFile(*text, &errors);
  }
  ApplyEnvironment(environment, &errors);
  ApplyFlags(flags, &errors);
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return absl::OkStatus();
}

absl::Status Loader::ParseArgs(const std::vector<std::string>& args, std::vector<Flag>* flags) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      help_requested_ = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\" (options are --KEY=VALUE; see --help)"));
    }
    Flag flag;
    const size_t eq = arg.find('=');
    flag.name = absl::StrReplaceAll(arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2), {{"-", "_"}});
    flag.has_value = eq != std::string::npos;
    if (flag.has_value) flag.value = arg.substr(eq + 1);
    if (flag.name == "config") {
      if (!flag.has_value || flag.value.empty()) return absl::InvalidArgumentError("--config needs a path: --config=PATH");
      config_path_ = flag.value;
      continue;
    }
    flags->push_back(std::move(flag));
  }
  return absl::OkStatus();
}

void Loader::ApplyFile(const std::string& text, std::vector<std::string>* errors) {
  absl::StatusOr<ParsedFile> parsed = ParseToml(text, config_path_);
  if (!parsed.ok()) {
    errors->push_back(std::string(parsed.status().message()));
    return;
  }
  for (const auto& [section_name, entries] : *parsed) {
    const Section* section = FindSection(section_name);
    if (section == nullptr) {
      if (allowed_.count(section_name) == 0) {
        std::vector<std::string> known(allowed_.begin(), allowed_.end());
        for (const auto& s : sections_) known.push_back(s->name());
        errors->push_back(absl::StrCat(config_path_, ": unknown section [", section_name, "] (known: ",
                                       absl::StrJoin(known, ", "), ")"));
      }
      continue;
    }
    for (const auto& [key, entry] : entries) {
      const std::string where = absl::StrCat("in ", config_path_, ":", entry.line, ":", entry.column);
      const Option* option = section->Find(key);
      if (option == nullptr) {
        errors->push_back(absl::StrCat(section_name, ".", key, ": unknown key (", where, "; see --help)"));
        continue;
      }
      SetOption(*section, *option, entry.value, where, errors);
    }
  }
}

void Loader::ApplyEnvironment(const Environment& environment, std::vector<std::string>* errors) {
  for (const auto& [name, value] : environment) {
    if (!absl::StartsWith(name, "EVERMIRROR_")) continue;
    bool matched = false;
    for (const auto& section : sections_) {
      for (const auto& option : section->options()) {
        if (section->EnvName(option->key()) != name) continue;
        SetOption(*section, *option, RawValue::Text(value), absl::StrCat("from environment variable ", name), errors);
        matched = true;
      }
    }
    if (matched) continue;
    for (const auto& section : sections_) {
      if (absl::StartsWith(name, section->EnvName(""))) {
        errors->push_back(absl::StrCat("environment variable ", name, ": no option [", section->name(), "] ",
                                       absl::AsciiStrToLower(name.substr(section->EnvName("").size())),
                                       " (see --help)"));
        break;
      }
    }
  }
}

void Loader::ApplyFlags(const std::vector<Flag>& flags, std::vector<std::string>* errors) {
  for (const Flag& flag : flags) ApplyFlag(flag, errors);
}

void Loader::ApplyFlag(const Flag& flag, std::vector<std::string>* errors) {
  Section* section = sections_.empty() ? nullptr : sections_.front().get();
  std::string key = flag.name;
  const size_t dot = flag.name.find('.');
  if (dot != std::string::npos) {
    section = FindSection(std::string_view(flag.name).substr(0, dot));
    key = flag.name.substr(dot + 1);
  }
  const Option* option = section == nullptr ? nullptr : section->Find(key);
  if (option == nullptr) {
    errors->push_back(absl::StrCat("unknown flag --", flag.name, " (see --help)"));
    return;
  }
  if (!flag.has_value && option->type() != OptionType::kBool) {
    errors->push_back(absl::StrCat(section->name(), ".", key, ": flag --", flag.name, " needs a value (--",
                                   flag.name, "=VALUE)"));
    return;
  }
  SetOption(*section, *option, RawValue::Text(flag.has_value ? flag.value : "true"),
            absl::StrCat("from flag --", flag.name), errors);
}

std::string Loader::HelpText() const { return FormatHelp(program_, sections()); }

}  // namespace evermirror::config
