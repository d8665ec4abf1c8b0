// Human-facing renderings of the config schema: the --help text of a program and the Markdown
// of docs/configuration.md. Both come from the same declarations the loader uses, so the
// documentation cannot drift from the code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shared/config/schema.h"

namespace evermirror::config {

// Usage text for `program`: every option of `sections` with its flag, default, constraint and
// environment variable. The first section is the primary one (flags without a prefix).
std::string FormatHelp(std::string_view program, const std::vector<const Section*>& sections);

// The Markdown table of one section: key, type, default, environment variable, description.
std::string SectionMarkdown(const Section& section);

// The whole of docs/configuration.md: how the file, variables and flags combine, the value
// formats, then SectionMarkdown() of each section in the given order.
std::string GenerateMarkdown(const std::vector<const Section*>& sections);

}  // namespace evermirror::config
