// The config schema: a service declares each option once, bound to a field of its Options
// struct (the field's initial value is the default). The same declaration drives the TOML
// file, EVERMIRROR_<SECTION>_<KEY> variables, --flags, --help and docs/configuration.md.
//   config::Section& s = ...;  s.Int("max_peers", &options.max_peers, 1, 1000, "Peers per feed.");
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace evermirror::config {

enum class OptionType { kString, kChoice, kInt, kBool, kDuration, kSize, kStringList, kAddress };

// "string", "one of", "integer", "boolean", "duration", "size", "list of strings", "address".
std::string_view TypeName(OptionType type);

// One value as it arrives from a source, before it is checked against an option's type.
// Environment variables and flags give kText (parsed leniently: "30" is an integer);
// the TOML file gives typed values.
struct RawValue {
  enum class Kind { kText, kString, kInteger, kFloat, kBool, kStringList, kOther };
  Kind kind = Kind::kText;
  std::string text;               // kText, kString
  int64_t integer = 0;            // kInteger
  double number = 0;              // kFloat
  bool boolean = false;           // kBool
  std::vector<std::string> list;  // kStringList
  std::string other;              // kOther: what the file held ("table", "date", "array of integers")

  static RawValue Text(std::string text);
  // The TOML type, for "expected X, got Y" messages.
  std::string Describe() const;
};

// One declared option. Holds a pointer to the bound field: the field must outlive it.
class Option {
 public:
  const std::string& key() const { return key_; }
  OptionType type() const { return type_; }
  const std::string& help() const { return help_; }
  // The field's value at declaration time, in text form ("30s", "64MiB", "a,b", "true").
  const std::string& default_text() const { return default_text_; }
  // The field's current value, in the same form.
  std::string CurrentText() const { return get_(); }
  // Extra rule shown in --help and the docs: "1..1000", "debug|info|warn|error", "".
  const std::string& constraint() const { return constraint_; }
  // Checks `value` against the type and constraint and stores it in the field.
  // InvalidArgument whose message says what was expected; it does not name the option.
  absl::Status Set(const RawValue& value) const { return set_(value); }

 private:
  friend class Section;
  std::string key_;
  OptionType type_ = OptionType::kString;
  std::string help_;
  std::string default_text_;
  std::string constraint_;
  std::function<absl::Status(const RawValue&)> set_;
  std::function<std::string()> get_;
};

// The options of one [section] of the box config file, in declaration order.
// Declaring a key twice or a key that is not [a-z][a-z0-9_]* is a programming error: it
// aborts with a message. Not thread-safe; declare and load from main before starting threads.
class Section {
 public:
  Section(std::string name, std::string description);
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

  Section& String(std::string_view key, std::string* field, std::string_view help);
  // A string restricted to `choices` (compared exactly).
  Section& Choice(std::string_view key, std::string* field, std::vector<std::string> choices,
                  std::string_view help);
  // An integer in [min, max]. REQUIRES: the range fits T and contains the default.
  template <typename T>
  Section& Int(std::string_view key, T* field, int64_t min, int64_t max, std::string_view help) {
    static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>, "Int() binds integer fields");
    CheckIntRange(key, min, max, std::is_signed_v<T> ? int64_t{std::numeric_limits<T>::min()} : 0,
                  static_cast<uint64_t>(std::numeric_limits<T>::max()));
    return AddInt(key, min, max, help, [field](int64_t v) { *field = static_cast<T>(v); },
                  [field] { return static_cast<int64_t>(*field); });
  }
  Section& Bool(std::string_view key, bool* field, std::string_view help);
  Section& Duration(std::string_view key, absl::Duration* field, std::string_view help);
  Section& Size(std::string_view key, uint64_t* field, std::string_view help);
  Section& StringList(std::string_view key, std::vector<std::string>* field, std::string_view help);
  // "host:port", "[v6]:port" or "unix:/path"; stored in canonical form (config/address.h).
  Section& Address(std::string_view key, std::string* field, std::string_view help);

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const std::vector<std::unique_ptr<Option>>& options() const { return options_; }
  // nullptr if `key` is not declared.
  const Option* Find(std::string_view key) const;
  // "EVERMIRROR_<SECTION>_<KEY>", upper case.
  std::string EnvName(std::string_view key) const;

 private:
  Section& Add(std::string_view key, OptionType type, std::string_view help,
               std::function<absl::Status(const RawValue&)> set, std::function<std::string()> get,
               std::string constraint = "");
  Section& AddInt(std::string_view key, int64_t min, int64_t max, std::string_view help,
                  std::function<void(int64_t)> set, std::function<int64_t()> get);
  void CheckIntRange(std::string_view key, int64_t min, int64_t max, int64_t type_min,
                     uint64_t type_max) const;

  std::string name_;
  std::string description_;
  std::vector<std::unique_ptr<Option>> options_;
};

}  // namespace evermirror::config
