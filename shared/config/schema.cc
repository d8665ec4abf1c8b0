#include "shared/config/schema.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "shared/base/strings.h"
#include "shared/config/address.h"
#include "shared/config/values.h"

namespace evermirror::config {
namespace {

// A bad declaration is a bug in a service's code, found the first time it starts: crash loudly.
[[noreturn]] void DeclarationBug(std::string_view section, std::string_view key, std::string_view why) {
  std::fprintf(stderr, "config schema bug: [%.*s] %.*s: %.*s\n", static_cast<int>(section.size()), section.data(),
               static_cast<int>(key.size()), key.data(), static_cast<int>(why.size()), why.data());
  std::abort();
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !absl::ascii_islower(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_islower(u) && !absl::ascii_isdigit(u) && c != '_') return false;
  }
  return true;
}

absl::Status Expected(std::string_view what, const RawValue& got) {
  std::string shown;
  if (got.kind == RawValue::Kind::kText) {
    shown = absl::StrCat("\"", got.text, "\"");
  } else if (got.kind == RawValue::Kind::kString) {
    shown = absl::StrCat("string \"", got.text, "\"");
  } else {
    shown = got.Describe();
  }
  return absl::InvalidArgumentError(absl::StrCat("expected ", ToAbsl(what), ", got ", shown));
}

bool IsStringy(const RawValue& v) { return v.kind == RawValue::Kind::kText || v.kind == RawValue::Kind::kString; }

}  // namespace

std::string_view TypeName(OptionType type) {
  switch (type) {
    case OptionType::kString: return "string";
    case OptionType::kChoice: return "one of";
    case OptionType::kInt: return "integer";
    case OptionType::kBool: return "boolean";
    case OptionType::kDuration: return "duration";
    case OptionType::kSize: return "size";
    case OptionType::kStringList: return "list of strings";
    case OptionType::kAddress: return "address";
  }
  return "?";
}

RawValue RawValue::Text(std::string text) {
  RawValue v;
  v.kind = Kind::kText;
  v.text = std::move(text);
  return v;
}

std::string RawValue::Describe() const {
  switch (kind) {
    case Kind::kText: return "text";
    case Kind::kString: return "string";
    case Kind::kInteger: return absl::StrCat("integer ", integer);
    case Kind::kFloat: return absl::StrCat("float ", number);
    case Kind::kBool: return boolean ? "boolean true" : "boolean false";
    case Kind::kStringList: return "array of strings";
    case Kind::kOther: return other;
  }
  return "?";
}

Section::Section(std::string name, std::string description)
    : name_(std::move(name)), description_(std::move(description)) {
  if (!IsIdentifier(name_)) DeclarationBug(name_, "", "section names are [a-z][a-z0-9_]*");
}

const Option* Section::Find(std::string_view key) const {
  for (const auto& option : options_) {
    if (option->key() == key) return option.get();
  }
  return nullptr;
}

std::string Section::EnvName(std::string_view key) const {
  return absl::AsciiStrToUpper(absl::StrCat("EVERMIRROR_", name_, "_", ToAbsl(key)));
}

Section& Section::Add(std::string_view key, OptionType type, std::string_view help,
                      std::function<absl::Status(const RawValue&)> set, std::function<std::string()> get,
                      std::string constraint) {
  if (!IsIdentifier(key)) DeclarationBug(name_, key, "option keys are [a-z][a-z0-9_]*");
  if (Find(key) != nullptr) DeclarationBug(name_, key, "declared twice");
  if (help.empty()) DeclarationBug(name_, key, "every option needs a help line");
  auto option = std::make_unique<Option>();
  option->key_ = std::string(key);
  option->type_ = type;
  option->help_ = std::string(help);
  option->default_text_ = get();
  option->constraint_ = std::move(constraint);
  option->set_ = std::move(set);
  option->get_ = std::move(get);
  options_.push_back(std::move(option));
  return *this;
}

Section& Section::String(std::string_view key, std::string* field, std::string_view help) {
  return Add(key, OptionType::kString, help, [field](const RawValue& v) -> absl::Status {
    if (!IsStringy(v)) return Expected("a string", v);
    *field = v.text;
    return absl::OkStatus();
  }, [field] { return *field; });
}

Section& Section::Choice(std::string_view key, std::string* field, std::vector<std::string> choices,
                         std::string_view help) {
  std::string joined = absl::StrJoin(choices, "|");
  bool default_ok = false;
  for (const std::string& c : choices) default_ok = default_ok || c == *field;
  if (!default_ok) DeclarationBug(name_, key, "the default is not one of the choices");
  return Add(key, OptionType::kChoice, help, [field, choices, joined](const RawValue& v) -> absl::Status {
    if (IsStringy(v)) {
      for (const std::string& c : choices) {
        if (c == v.text) {
          *field = v.text;
          return absl::OkStatus();
        }
      }
    }
    return Expected(absl::StrCat("one of ", joined), v);
  }, [field] { return *field; }, joined);
}

void Section::CheckIntRange(std::string_view key, int64_t min, int64_t max, int64_t type_min,
                            uint64_t type_max) const {
  if (min > max) DeclarationBug(name_, key, "min > max");
  if (min < type_min || (max > 0 && static_cast<uint64_t>(max) > type_max)) {
    DeclarationBug(name_, key, "the range does not fit the field's type");
  }
}

Section& Section::AddInt(std::string_view key, int64_t min, int64_t max, std::string_view help,
                         std::function<void(int64_t)> set, std::function<int64_t()> get) {
  const int64_t current = get();
  if (current < min || current > max) DeclarationBug(name_, key, "the default is outside the range");
  return Add(key, OptionType::kInt, help, [set, min, max](const RawValue& v) -> absl::Status {
    int64_t n = 0;
    if (v.kind == RawValue::Kind::kInteger) {
      n = v.integer;
    } else if (v.kind != RawValue::Kind::kText || !absl::SimpleAtoi(ToAbsl(v.text), &n)) {
      return Expected("an integer", v);
    }
    if (n < min || n > max) {
      return absl::InvalidArgumentError(absl::StrCat("must be between ", min, " and ", max, ", got ", n));
    }
    set(n);
    return absl::OkStatus();
  }, [get] { return absl::StrCat(get()); }, absl::StrCat(min, "..", max));
}

Section& Section::Bool(std::string_view key, bool* field, std::string_view help) {
  return Add(key, OptionType::kBool, help, [field](const RawValue& v) -> absl::Status {
    if (v.kind == RawValue::Kind::kBool) {
      *field = v.boolean;
      return absl::OkStatus();
    }
    std::optional<bool> b = v.kind == RawValue::Kind::kText ? ParseBool(v.text) : std::nullopt;
    if (!b) return Expected("true or false", v);
    *field = *b;
    return absl::OkStatus();
  }, [field] { return std::string(*field ? "true" : "false"); });
}

Section& Section::Duration(std::string_view key, absl::Duration* field, std::string_view help) {
  return Add(key, OptionType::kDuration, help, [field](const RawValue& v) -> absl::Status {
    if (!IsStringy(v)) return Expected("a duration string such as \"30s\" or \"5m\"", v);
    absl::StatusOr<absl::Duration> d = config::ParseDuration(v.text);
    if (!d.ok()) return d.status();
    *field = *d;
    return absl::OkStatus();
  }, [field] { return DurationToString(*field); });
}

Section& Section::Size(std::string_view key, uint64_t* field, std::string_view help) {
  return Add(key, OptionType::kSize, help, [field](const RawValue& v) -> absl::Status {
    if (v.kind == RawValue::Kind::kInteger) {
      if (v.integer < 0) return Expected("a size that is not negative", v);
      *field = static_cast<uint64_t>(v.integer);
      return absl::OkStatus();
    }
    if (!IsStringy(v)) return Expected("a size such as \"64MiB\" or a number of bytes", v);
    absl::StatusOr<uint64_t> size = ParseSize(v.text);
    if (!size.ok()) return size.status();
    *field = *size;
    return absl::OkStatus();
  }, [field] { return SizeToString(*field); });
}

Section& Section::StringList(std::string_view key, std::vector<std::string>* field, std::string_view help) {
  return Add(key, OptionType::kStringList, help, [field](const RawValue& v) -> absl::Status {
    if (v.kind == RawValue::Kind::kStringList) {
      *field = v.list;
    } else if (v.kind == RawValue::Kind::kText) {
      *field = SplitList(v.text);
    } else {
      return Expected("an array of strings such as [\"a\", \"b\"]", v);
    }
    return absl::OkStatus();
  }, [field] { return JoinList(*field); });
}

Section& Section::Address(std::string_view key, std::string* field, std::string_view help) {
  if (!field->empty() && !ParseAddress(*field).ok()) DeclarationBug(name_, key, "the default is not an address");
  return Add(key, OptionType::kAddress, help, [field](const RawValue& v) -> absl::Status {
    if (!IsStringy(v)) return Expected("an address string such as \"127.0.0.1:7300\" or \"unix:/path\"", v);
    if (v.text.empty()) {  // an empty address turns an optional listener off
      field->clear();
      return absl::OkStatus();
    }
    absl::StatusOr<config::Address> address = ParseAddress(v.text);
    if (!address.ok()) return address.status();
    *field = address->ToString();
    return absl::OkStatus();
  }, [field] { return *field; });
}

}  // namespace evermirror::config
