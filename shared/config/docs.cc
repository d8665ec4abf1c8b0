#include "shared/config/docs.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "shared/base/strings.h"
#include "shared/config/loader.h"

namespace evermirror::config {
namespace {

std::string Placeholder(const Option& option) {
  switch (option.type()) {
    case OptionType::kString: return "STRING";
    case OptionType::kChoice: return option.constraint();
    case OptionType::kInt: return "N";
    case OptionType::kBool: return "true|false";
    case OptionType::kDuration: return "DURATION";
    case OptionType::kSize: return "SIZE";
    case OptionType::kStringList: return "A,B,...";
    case OptionType::kAddress: return "ADDRESS";
  }
  return "VALUE";
}

std::string TypeText(const Option& option) {
  if (option.type() == OptionType::kChoice) return absl::StrCat("one of ", option.constraint());
  if (option.constraint().empty()) return std::string(TypeName(option.type()));
  return absl::StrCat(ToAbsl(TypeName(option.type())), " (", option.constraint(), ")");
}

std::string DefaultText(const Option& option) {
  return option.default_text().empty() ? "empty" : option.default_text();
}

std::string Cell(std::string_view text) {
  return absl::StrReplaceAll(ToAbsl(text), {{"|", "\\|"}, {"\n", " "}, {"<", "&lt;"}, {">", "&gt;"}});
}

// A default as a table cell: the value in code font, or "(empty)" in plain text.
std::string DefaultCell(const Option& option) {
  if (option.default_text().empty()) return "(empty)";
  return absl::StrCat("`", Cell(option.default_text()), "`");
}

}  // namespace

std::string FormatHelp(std::string_view program, const std::vector<const Section*>& sections) {
  std::string out = absl::StrCat("Usage: ", ToAbsl(program), " [--config=PATH] [--KEY=VALUE ...]\n\n");
  absl::StrAppend(&out, "Reads its sections of the box config file (--config=PATH or $", kConfigPathVariable,
                  "). Environment\nvariables override the file and flags override both. Options outside [",
                  sections.empty() ? "" : sections.front()->name(), "]\ntake the section as a prefix: --log.level=debug.\n");
  for (size_t i = 0; i < sections.size(); ++i) {
    const Section& section = *sections[i];
    absl::StrAppend(&out, "\n[", section.name(), "]  ", section.description(), "\n");
    const std::string prefix = i == 0 ? "" : absl::StrCat(section.name(), ".");
    for (const auto& option : section.options()) {
      absl::StrAppend(&out, "  --", prefix, option->key(), "=", Placeholder(*option), "  (default ",
                      DefaultText(*option), ")\n      ", option->help());
      if (option->type() == OptionType::kInt) absl::StrAppend(&out, " Range ", option->constraint(), ".");
      absl::StrAppend(&out, "\n      env ", section.EnvName(option->key()), "\n");
    }
  }
  absl::StrAppend(&out, "\n  --config=PATH  the box config file (TOML)\n  --help         this text\n");
  return out;
}

std::string SectionMarkdown(const Section& section) {
  std::string out = absl::StrCat("## `[", section.name(), "]`\n\n", section.description(), "\n\n");
  absl::StrAppend(&out, "| Key | Type | Default | Environment variable | Description |\n");
  absl::StrAppend(&out, "|---|---|---|---|---|\n");
  for (const auto& option : section.options()) {
    absl::StrAppend(&out, "| `", option->key(), "` | ", Cell(TypeText(*option)), " | ", DefaultCell(*option), " | `",
                    section.EnvName(option->key()), "` | ", Cell(option->help()), " |\n");
  }
  return out;
}

std::string GenerateMarkdown(const std::vector<const Section*>& sections) {
  std::string out =
      "# Configuration\n\n"
      "<!-- Generated from the option declarations in the code; do not edit by hand. -->\n\n"
      "One TOML file configures the whole box; each service reads `[box]`, `[log]` and its own\n"
      "section, and refuses to start (exit status 2) on an unknown key or a bad value, naming the field.\n"
      "Pass the file with `--config=PATH` or the `EVERMIRROR_CONFIG` environment variable.\n\n"
      "Every option can also be set by an environment variable `EVERMIRROR_<SECTION>_<KEY>` (what\n"
      "docker-compose and Kubernetes use) and by a flag: `--key=value` for the service's own section,\n"
      "`--section.key=value` for the others. Flags override variables, which override the file,\n"
      "which overrides the defaults below.\n\n"
      "Value formats:\n\n"
      "- duration: a string of number-unit pairs, units `ms`, `s`, `m`, `h`: `\"250ms\"`, `\"30s\"`, `\"1h30m\"`.\n"
      "- size: a number of bytes, or a string with a unit: `\"512KiB\"`, `\"64MiB\"`, `\"2GiB\"`\n"
      "  (KiB/MiB/GiB/TiB are powers of 1024; kB/MB/GB/TB powers of 1000).\n"
      "- list of strings: a TOML array `[\"a\", \"b\"]`; in variables and flags, comma-separated `a,b`.\n"
      "- address: `\"host:port\"`, `\"[::1]:port\"` or `\"unix:/path/to.sock\"`; an empty string turns an\n"
      "  optional listener off.\n"
      "- boolean: `true`/`false` (variables and flags also take `1`/`0`, `yes`/`no`, `on`/`off`).\n";
  for (const Section* section : sections) absl::StrAppend(&out, "\n", SectionMarkdown(*section));
  return out;
}

}  // namespace evermirror::config
