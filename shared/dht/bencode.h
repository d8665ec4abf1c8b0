// Bencode (BEP 3), the encoding of every KRPC message: a value type, a strict decoder with hard
// bounds for untrusted datagrams, and a canonical encoder (dict keys sorted). Used by the KRPC
// codec and the node's state file. Values are thread-compatible; functions are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace evermirror::dht::bencode {

class Value {
 public:
  using List = std::vector<Value>;
  using Dict = std::map<std::string, Value, std::less<>>;

  Value() : v_(int64_t{0}) {}
  Value(int64_t i) : v_(i) {}                 // NOLINT: implicit by design, as a literal
  Value(int i) : v_(int64_t{i}) {}            // NOLINT: so Value(0) is not a null pointer
  Value(std::string s) : v_(std::move(s)) {}  // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}  // NOLINT
  Value(const char* s) : v_(std::string(s)) {}       // NOLINT
  Value(List l) : v_(std::move(l)) {}         // NOLINT
  Value(Dict d) : v_(std::move(d)) {}         // NOLINT

  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_list() const { return std::holds_alternative<List>(v_); }
  bool is_dict() const { return std::holds_alternative<Dict>(v_); }

  // REQUIRES: the matching is_*().
  int64_t as_int() const { return std::get<int64_t>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const List& as_list() const { return std::get<List>(v_); }
  const Dict& as_dict() const { return std::get<Dict>(v_); }
  List& mutable_list() { return std::get<List>(v_); }
  Dict& mutable_dict() { return std::get<Dict>(v_); }

  // Dict member lookups: null/nullopt when this is not a dict, the key is missing, or the
  // member has another type.
  const Value* Find(std::string_view key) const;
  const std::string* FindString(std::string_view key) const;
  std::optional<int64_t> FindInt(std::string_view key) const;
  const List* FindList(std::string_view key) const;
  const Value* FindDict(std::string_view key) const;

  bool operator==(const Value&) const = default;

 private:
  std::variant<int64_t, std::string, List, Dict> v_;
};

struct DecodeLimits {
  size_t max_input_bytes = 64 * 1024;  // the whole encoded input
  int max_depth = 16;                  // nesting of lists and dicts
  size_t max_container_entries = 1024; // elements of one list, or pairs of one dict
  size_t max_values = 8192;            // values of every kind in the whole input
};

// Decodes exactly one value spanning all of `input`. InvalidArgument (with the byte offset)
// on: input over the limits, truncation, trailing bytes, integers with a leading zero, "-0",
// an empty or overflowing integer, string lengths with a leading zero or beyond the input,
// dict keys that are not strings, unsorted or duplicate dict keys, unknown type bytes.
absl::StatusOr<Value> Decode(std::string_view input, const DecodeLimits& limits = {});

// Canonical encoding (dict keys in byte order, as std::map keeps them).
std::string Encode(const Value& value);
void EncodeTo(const Value& value, std::string* out);

}  // namespace evermirror::dht::bencode
