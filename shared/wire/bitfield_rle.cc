#include "shared/wire/bitfield_rle.h"

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "shared/base/bytes.h"

namespace evermirror::wire {
namespace {

// The encoder walks the input once, deciding at the end of every run of 0x00 or 0xff bytes
// whether emitting it as a run is cheaper than leaving it inside a literal, with the same cost
// rule as the reference (a tie keeps the literal).
class RleEncoder {
 public:
  RleEncoder(std::string_view input, std::string* out) : in_(input), out_(out) {}

  void Run() {
    size_t n = in_.size();
    while (n > 0 && in_[n - 1] == 0) --n;
    uint64_t len = 0;
    uint8_t bits = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t b = static_cast<uint8_t>(in_[i]);
      if (b == bits) {
        ++len;
        continue;
      }
      if (len) Update(i, len, bits);
      if (b == 0x00 || b == 0xff) {
        bits = b;
        len = 1;
      } else {
        len = 0;
      }
    }
    if (len) Update(n, len, bits);
    if (n > offset_) AppendLiteral(n);
  }

 private:
  void AppendLiteral(size_t end) {
    AppendVarint(out_, 2 * (end - offset_));
    out_->append(in_.data() + offset_, end - offset_);
    offset_ = end;
  }

  // A run of `len` bytes of `bits` ends just before `i`.
  void Update(size_t i, uint64_t len, uint8_t bits) {
    const uint64_t head = i - len - offset_;
    const uint64_t head_cost = head ? VarintLength(2 * head) + head : 0;
    const uint64_t code = 4 * len + (bits ? 2 : 0) + 1;
    const uint64_t run_cost = head_cost + VarintLength(code);
    const uint64_t literal_cost = VarintLength(2 * (i - offset_)) + (i - offset_);
    if (run_cost >= literal_cost) return;
    if (head) AppendLiteral(i - len);
    AppendVarint(out_, code);
    offset_ = i;
  }

  std::string_view in_;
  std::string* out_;
  size_t offset_ = 0;  // input bytes already encoded
};

// One step of the code: a run of `len` bytes of `*fill`, or (no fill) a literal at `literal`.
struct Group {
  uint64_t len = 0;
  std::optional<uint8_t> fill;
  const char* literal = nullptr;
};

absl::StatusOr<Group> NextGroup(std::string_view* in) {
  const std::optional<uint64_t> h = ConsumeVarint(in);
  if (!h) return absl::InvalidArgumentError("bitfield-rle: malformed varint");
  Group group;
  if (*h & 1) {
    group.len = *h >> 2;
    group.fill = (*h & 2) ? 0xff : 0x00;
    return group;
  }
  group.len = *h >> 1;
  if (group.len > in->size()) return absl::InvalidArgumentError("bitfield-rle: literal runs past the end");
  group.literal = in->data();
  in->remove_prefix(group.len);
  return group;
}

}  // namespace

void AppendBitfieldRle(std::string_view bitfield, std::string* out) { RleEncoder(bitfield, out).Run(); }

std::string EncodeBitfieldRle(std::string_view bitfield) {
  std::string out;
  AppendBitfieldRle(bitfield, &out);
  return out;
}

absl::StatusOr<uint64_t> BitfieldRleDecodedSize(std::string_view encoded, uint64_t max_size) {
  uint64_t total = 0;
  while (!encoded.empty()) {
    absl::StatusOr<Group> group = NextGroup(&encoded);
    if (!group.ok()) return group.status();
    if (group->len > max_size - total) {
      return absl::ResourceExhaustedError(
          absl::StrCat("bitfield-rle: decodes to more than ", max_size, " bytes"));
    }
    total += group->len;
  }
  return total;
}

absl::StatusOr<std::string> DecodeBitfieldRle(std::string_view encoded, uint64_t max_size) {
  absl::StatusOr<uint64_t> size = BitfieldRleDecodedSize(encoded, max_size);
  if (!size.ok()) return size.status();
  std::string out(*size, '\0');
  char* p = out.data();
  while (!encoded.empty()) {
    const Group group = *NextGroup(&encoded);  // validated by the sizing pass
    if (!group.fill) {
      if (group.len) std::memcpy(p, group.literal, group.len);
    } else if (*group.fill) {
      std::memset(p, 0xff, group.len);
    }
    p += group.len;
  }
  return out;
}

}  // namespace evermirror::wire
