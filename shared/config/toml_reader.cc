#include "shared/config/toml_reader.h"

// Header-only and without exceptions: parse errors come back as values, so no throw can
// leave this file. Only this translation unit includes toml++, so the settings cannot clash.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include "absl/strings/str_cat.h"
#include "shared/base/strings.h"

namespace evermirror::config {
namespace {

std::string NodeTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "value";
  }
}

RawValue FromArray(const toml::array& array) {
  RawValue v;
  v.kind = RawValue::Kind::kStringList;
  for (const toml::node& item : array) {
    if (!item.is_string()) {
      v.kind = RawValue::Kind::kOther;
      v.other = absl::StrCat("array containing a ", NodeTypeName(item));
      v.list.clear();
      return v;
    }
    v.list.push_back(item.as_string()->get());
  }
  return v;
}

RawValue FromNode(const toml::node& node) {
  RawValue v;
  if (const auto* s = node.as_string()) {
    v.kind = RawValue::Kind::kString;
    v.text = s->get();
  } else if (const auto* i = node.as_integer()) {
    v.kind = RawValue::Kind::kInteger;
    v.integer = i->get();
  } else if (const auto* f = node.as_floating_point()) {
    v.kind = RawValue::Kind::kFloat;
    v.number = f->get();
  } else if (const auto* b = node.as_boolean()) {
    v.kind = RawValue::Kind::kBool;
    v.boolean = b->get();
  } else if (const auto* a = node.as_array()) {
    v = FromArray(*a);
  } else {
    v.kind = RawValue::Kind::kOther;
    v.other = NodeTypeName(node);
  }
  return v;
}

std::string Where(std::string_view path, const toml::source_region& source) {
  return absl::StrCat(ToAbsl(path), ":", source.begin.line, ":", source.begin.column);
}

}  // namespace

absl::StatusOr<ParsedFile> ParseToml(std::string_view text, std::string_view path) {
  toml::parse_result result = toml::parse(text, path);
  if (!result) {
    const toml::parse_error& error = result.error();
    return absl::InvalidArgumentError(
        absl::StrCat(Where(path, error.source()), ": ", ToAbsl(error.description())));
  }
  ParsedFile parsed;
  for (const auto& [name, node] : result.table()) {
    const toml::table* section = node.as_table();
    if (section == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, node.source()), ": key \"", ToAbsl(name.str()),
                                                     "\" is outside any [section]"));
    }
    auto& entries = parsed[std::string(name.str())];
    for (const auto& [key, value] : *section) {
      entries[std::string(key.str())] =
          FileEntry{FromNode(value), static_cast<int>(value.source().begin.line),
                    static_cast<int>(value.source().begin.column)};
    }
  }
  return parsed;
}

}  // namespace evermirror::config
