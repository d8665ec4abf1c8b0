#include "shared/dht/bencode.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace evermirror::dht::bencode {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A recursive-descent parser; recursion is bounded by DecodeLimits::max_depth.
class Decoder {
 public:
  Decoder(std::string_view in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  absl::StatusOr<Value> DecodeAll() {
    if (in_.size() > limits_.max_input_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("bencode: input of ", in_.size(), " bytes exceeds limit ", limits_.max_input_bytes));
    }
    Value value;
    if (!ParseValue(0, &value)) return absl::InvalidArgumentError(error_);
    if (pos_ != in_.size()) return absl::InvalidArgumentError(absl::StrCat("bencode: trailing bytes at ", pos_));
    return value;
  }

 private:
  bool Fail(std::string_view what) {
    error_ = absl::StrCat("bencode: ", std::string(what), " at offset ", pos_);
    return false;
  }

  bool ParseValue(int depth, Value* out) {
    if (++values_ > limits_.max_values) return Fail("too many values");
    if (pos_ >= in_.size()) return Fail("truncated input");
    const char c = in_[pos_];
    if (c == 'i') return ParseInt(out);
    if (IsDigit(c)) {
      std::string s;
      if (!ParseString(&s)) return false;
      *out = Value(std::move(s));
      return true;
    }
    if (c == 'l' || c == 'd') {
      if (depth >= limits_.max_depth) return Fail("nesting too deep");
      return c == 'l' ? ParseList(depth + 1, out) : ParseDict(depth + 1, out);
    }
    return Fail("unexpected byte");
  }

  // Reads the digits of a non-negative decimal up to `terminator`; rejects leading zeros.
  bool ParseDigits(char terminator, uint64_t limit, uint64_t* out) {
    const size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < in_.size() && IsDigit(in_[pos_])) {
      const uint64_t d = static_cast<uint64_t>(in_[pos_] - '0');
      if (v > (limit - d) / 10) return Fail("number overflows");
      v = v * 10 + d;
      ++pos_;
    }
    if (pos_ == start) return Fail("missing digits");
    if (in_[start] == '0' && pos_ - start > 1) return Fail("leading zero");
    if (pos_ >= in_.size()) return Fail("truncated input");
    if (in_[pos_] != terminator) return Fail("bad number terminator");
    ++pos_;
    *out = v;
    return true;
  }

  bool ParseInt(Value* out) {
    ++pos_;  // 'i'
    const bool negative = pos_ < in_.size() && in_[pos_] == '-';
    if (negative) ++pos_;
    const uint64_t limit =
        negative ? uint64_t{1} << 63 : static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t magnitude = 0;
    if (!ParseDigits('e', limit, &magnitude)) return false;
    if (negative && magnitude == 0) return Fail("negative zero");
    *out = Value(negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude));
    return true;
  }

  bool ParseString(std::string* out) {
    uint64_t length = 0;
    if (!ParseDigits(':', in_.size(), &length)) return false;
    if (length > in_.size() - pos_) return Fail("string beyond end of input");
    out->assign(in_.substr(pos_, length));
    pos_ += length;
    return true;
  }

  bool ParseList(int depth, Value* out) {
    ++pos_;  // 'l'
    Value::List list;
    while (true) {
      if (pos_ >= in_.size()) return Fail("truncated list");
      if (in_[pos_] == 'e') break;
      if (list.size() >= limits_.max_container_entries) return Fail("too many list entries");
      list.emplace_back();
      if (!ParseValue(depth, &list.back())) return false;
    }
    ++pos_;
    *out = Value(std::move(list));
    return true;
  }

  bool ParseDict(int depth, Value* out) {
    ++pos_;  // 'd'
    Value::Dict dict;
    const std::string* previous = nullptr;
    while (true) {
      if (pos_ >= in_.size()) return Fail("truncated dict");
      if (in_[pos_] == 'e') break;
      if (dict.size() >= limits_.max_container_entries) return Fail("too many dict entries");
      if (!IsDigit(in_[pos_])) return Fail("dict key is not a string");
      if (++values_ > limits_.max_values) return Fail("too many values");
      std::string key;
      if (!ParseString(&key)) return false;
      if (previous != nullptr && key <= *previous) return Fail("dict keys unsorted or duplicated");
      Value value;
      if (!ParseValue(depth, &value)) return false;
      auto it = dict.emplace_hint(dict.end(), std::move(key), std::move(value));
      previous = &it->first;
    }
    ++pos_;
    *out = Value(std::move(dict));
    return true;
  }

  const std::string_view in_;
  const DecodeLimits& limits_;
  size_t pos_ = 0;
  size_t values_ = 0;
  std::string error_;
};

}  // namespace

const Value* Value::Find(std::string_view key) const {
  if (!is_dict()) return nullptr;
  const Dict& dict = as_dict();
  auto it = dict.find(key);
  return it == dict.end() ? nullptr : &it->second;
}

const std::string* Value::FindString(std::string_view key) const {
  const Value* v = Find(key);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

std::optional<int64_t> Value::FindInt(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr || !v->is_int()) return std::nullopt;
  return v->as_int();
}

const Value::List* Value::FindList(std::string_view key) const {
  const Value* v = Find(key);
  return v != nullptr && v->is_list() ? &v->as_list() : nullptr;
}

const Value* Value::FindDict(std::string_view key) const {
  const Value* v = Find(key);
  return v != nullptr && v->is_dict() ? v : nullptr;
}

absl::StatusOr<Value> Decode(std::string_view input, const DecodeLimits& limits) {
  return Decoder(input, limits).DecodeAll();
}

void EncodeTo(const Value& value, std::string* out) {
  if (value.is_int()) {
    absl::StrAppend(out, "i", value.as_int(), "e");
  } else if (value.is_string()) {
    absl::StrAppend(out, value.as_string().size(), ":");
    out->append(value.as_string());
  } else if (value.is_list()) {
    out->push_back('l');
    for (const Value& v : value.as_list()) EncodeTo(v, out);
    out->push_back('e');
  } else {
    out->push_back('d');
    for (const auto& [key, v] : value.as_dict()) {
      absl::StrAppend(out, key.size(), ":");
      out->append(key);
      EncodeTo(v, out);
    }
    out->push_back('e');
  }
}

std::string Encode(const Value& value) {
  std::string out;
  EncodeTo(value, &out);
  return out;
}

}  // namespace evermirror::dht::bencode
