#include "shared/replication/remote_bitfield.h"

#include <bit>

namespace evermirror::replication {

RemoteBitfield::Page* RemoteBitfield::PageFor(uint64_t block, bool create) {
  const uint64_t key = block / kBitsPerPage;
  auto it = pages_.find(key);
  if (it != pages_.end()) return &it->second;
  if (!create || pages_.size() >= max_pages_) return nullptr;
  Page& page = pages_[key];
  page.fill(0);
  return &page;
}

bool RemoteBitfield::Get(uint64_t block) const {
  auto it = pages_.find(block / kBitsPerPage);
  if (it == pages_.end()) return false;
  const uint64_t bit = block % kBitsPerPage;
  return (it->second[bit / 64] >> (bit % 64)) & 1;
}

bool RemoteBitfield::SetRange(uint64_t start, uint64_t length, bool value) {
  for (uint64_t block = start; block < start + length;) {
    Page* page = PageFor(block, value);
    const uint64_t page_end = (block / kBitsPerPage + 1) * kBitsPerPage;
    const uint64_t end = std::min(page_end, start + length);
    if (page == nullptr) {
      if (value) return false;  // out of room
      block = end;              // clearing an absent page: nothing to do
      continue;
    }
    for (; block < end; ++block) {
      const uint64_t bit = block % kBitsPerPage;
      const uint64_t mask = uint64_t{1} << (bit % 64);
      if (value) {
        (*page)[bit / 64] |= mask;
      } else {
        (*page)[bit / 64] &= ~mask;
      }
    }
  }
  return true;
}

bool RemoteBitfield::SetFromBits(uint64_t start, std::string_view bits) {
  for (uint64_t byte = 0; byte < bits.size(); ++byte) {
    const uint8_t b = static_cast<uint8_t>(bits[byte]);
    if (b == 0 && PageFor(start + byte * 8, false) == nullptr) continue;  // nothing to clear
    for (int i = 0; i < 8; ++i) {
      if (!SetRange(start + byte * 8 + i, 1, (b >> (7 - i)) & 1)) return false;
    }
  }
  return true;
}

uint64_t RemoteBitfield::NextSet(uint64_t from, uint64_t end) const {
  for (auto it = pages_.lower_bound(from / kBitsPerPage); it != pages_.end(); ++it) {
    const uint64_t base = it->first * kBitsPerPage;
    if (base >= end) break;
    uint64_t bit = from > base ? from - base : 0;
    while (bit < kBitsPerPage) {
      const uint64_t word = it->second[bit / 64] >> (bit % 64);
      if (word != 0) {
        const uint64_t found = base + bit + static_cast<uint64_t>(std::countr_zero(word));
        return found < end ? found : end;
      }
      bit = (bit / 64 + 1) * 64;
    }
  }
  return end;
}

uint64_t RemoteBitfield::Length() const {
  for (auto it = pages_.rbegin(); it != pages_.rend(); ++it) {
    for (int w = static_cast<int>(it->second.size()) - 1; w >= 0; --w) {
      const uint64_t word = it->second[static_cast<size_t>(w)];
      if (word != 0) return it->first * kBitsPerPage + static_cast<uint64_t>(w) * 64 + 64 - std::countl_zero(word);
    }
  }
  return 0;
}

}  // namespace evermirror::replication
