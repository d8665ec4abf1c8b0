#include "shared/hypercore/ref_bitfield.h"

#include <bit>
#include <cassert>
#include <cstring>

#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore {
namespace {

// The index keeps 2 bits per data byte: 11 = byte full, 00 = empty, 01 = partly set.
// A parent index byte packs its two children's bytes, each folded to 4 bits (two 2-bit
// summaries of their nibbles), left child in the high nibble.
uint8_t FoldNibble(uint8_t n) { return n == 15 ? 3 : n == 0 ? 0 : 1; }
uint8_t FoldRight(uint8_t b) { return static_cast<uint8_t>((FoldNibble(b >> 4) << 2) | FoldNibble(b & 15)); }
uint8_t FoldLeft(uint8_t b) { return static_cast<uint8_t>(FoldRight(b) << 4); }
uint8_t IndexValue(uint8_t data_byte) { return data_byte == 255 ? 192 : data_byte == 0 ? 0 : 64; }

constexpr uint8_t kIndexUpdateMask[4] = {63, 207, 243, 252};

}  // namespace

RefBitfield::Section RefBitfield::MakeSection(size_t offset, size_t bytes_per_page) {
  assert(std::has_single_bit(bytes_per_page));
  return Section{offset, static_cast<unsigned>(std::countr_zero(bytes_per_page)), 0};
}

RefBitfield::RefBitfield(size_t page_size)
    : page_size_(page_size),
      data_(MakeSection(0, kDataBytesPerPage)),
      tree_(MakeSection(kDataBytesPerPage, kTreeBytesPerPage)),
      index_(MakeSection(kDataBytesPerPage + kTreeBytesPerPage, page_size - kDataBytesPerPage - kTreeBytesPerPage)) {}

void RefBitfield::Load(std::string_view body) {
  pages_.clear();
  dirty_.clear();
  dirty_count_ = 0;
  data_count_ = 0;
  const uint64_t n = (body.size() + page_size_ - 1) / page_size_;
  pages_.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view chunk = body.substr(i * page_size_, page_size_);
    if (chunk.find_first_not_of('\0') == std::string_view::npos) continue;  // zero pages stay unallocated
    auto page = std::make_unique<uint8_t[]>(page_size_);
    std::memset(page.get(), 0, page_size_);
    std::memcpy(page.get(), chunk.data(), chunk.size());
    for (size_t b = 0; b < kDataBytesPerPage; ++b) data_count_ += std::popcount(page[b]);
    pages_[i] = std::move(page);
  }
  // The reference sizes each section from the number of pages it loaded.
  data_.byte_length = n * data_.BytesPerPage();
  tree_.byte_length = n * tree_.BytesPerPage();
  index_.byte_length = n * index_.BytesPerPage();
}

uint8_t* RefBitfield::AllocatePage(uint64_t page) {
  if (page >= pages_.size()) pages_.resize(page + 1);
  if (!pages_[page]) {
    pages_[page] = std::make_unique<uint8_t[]>(page_size_);
    std::memset(pages_[page].get(), 0, page_size_);
  }
  return pages_[page].get();
}

// Mirrors the reference: the page is allocated even when the byte does not change.
bool RefBitfield::SetByte(Section& s, uint64_t i, uint8_t value) {
  const uint64_t page = s.Page(i);
  uint8_t* p = AllocatePage(page);
  uint8_t& slot = p[s.Slot(i)];
  if (slot == value) return false;
  slot = value;
  if (i >= s.byte_length) s.byte_length = i + 1;
  MarkPageDirty(page);
  return true;
}

bool RefBitfield::SetData(uint64_t block, bool value) {
  const uint64_t byte_index = block >> 3;
  const uint8_t mask = static_cast<uint8_t>(128 >> (block & 7));
  const uint8_t old = GetByte(data_, byte_index);
  const uint8_t v = value ? (old | mask) : (old & static_cast<uint8_t>(~mask));
  if (!SetByte(data_, byte_index, v)) return false;
  data_count_ += value ? 1 : -1;
  UpdateIndex(byte_index, v);
  return true;
}

bool RefBitfield::SetTreeBit(uint64_t node) {
  const uint64_t byte_index = node >> 3;
  return SetByte(tree_, byte_index, GetByte(tree_, byte_index) | static_cast<uint8_t>(128 >> (node & 7)));
}

// Walks up the index's own flat tree from the leaf summarising `data_byte`, rewriting
// summaries until one does not change. The bound and the expansion below replay the
// reference's behaviour (including its quirks) so the bytes come out identical.
void RefBitfield::UpdateIndex(uint64_t data_byte, uint8_t value) {
  const uint64_t o = data_byte & 3;
  const uint64_t start = 2 * (data_byte >> 2);
  uint8_t byte = static_cast<uint8_t>((GetByte(index_, start) & kIndexUpdateMask[o]) | (IndexValue(value) >> (2 * o)));
  const uint64_t old_length_bits = index_.byte_length * 8;
  const uint64_t max_length = pages_.size() * index_.BytesPerPage();
  uint64_t at = start;
  while (at < max_length && SetByte(index_, at, byte)) {
    const uint8_t sibling = GetByte(index_, flat::Sibling(at));
    byte = flat::IsLeft(at) ? (FoldLeft(byte) | FoldRight(sibling)) : (FoldRight(byte) | FoldLeft(sibling));
    at = flat::Parent(at);
  }
  if (old_length_bits != index_.byte_length * 8) ExpandIndex(old_length_bits);
}

void RefBitfield::ExpandIndex(uint64_t old_length_bits) {
  for (uint64_t root : flat::FullRoots(2 * old_length_bits)) {
    uint64_t at = root;
    uint8_t byte = GetByte(index_, at);
    while (true) {
      const uint8_t sibling = GetByte(index_, flat::Sibling(at));
      byte = flat::IsLeft(at) ? (FoldLeft(byte) | FoldRight(sibling)) : (FoldRight(byte) | FoldLeft(sibling));
      at = flat::Parent(at);
      if (at >= index_.byte_length || !SetByte(index_, at, byte)) break;
    }
  }
}

uint64_t RefBitfield::NextMissing(uint64_t from) const {
  uint64_t block = from;
  while (true) {
    const uint64_t byte_index = block >> 3;
    const uint8_t b = GetByte(data_, byte_index);
    if (b == 0xff) {
      block = (byte_index + 1) * 8;
      continue;
    }
    for (uint64_t bit = block & 7; bit < 8; ++bit) {
      if (!(b & (128 >> bit))) return byte_index * 8 + bit;
    }
    block = (byte_index + 1) * 8;
  }
}

std::string RefBitfield::DataBytes(uint64_t start, uint64_t n_bytes) const {
  std::string out(n_bytes, '\0');
  for (uint64_t k = 0; k < n_bytes; ++k) out[k] = static_cast<char>(GetByte(data_, start / 8 + k));
  return out;
}

std::string RefBitfield::Page(uint64_t i) const {
  if (i >= pages_.size() || !pages_[i]) return std::string(page_size_, '\0');
  return std::string(reinterpret_cast<const char*>(pages_[i].get()), page_size_);
}

void RefBitfield::MarkPageDirty(uint64_t page) {
  if (page >= dirty_.size()) dirty_.resize(page + 1, false);
  if (!dirty_[page]) {
    dirty_[page] = true;
    ++dirty_count_;
  }
}

void RefBitfield::MarkDirty(const std::vector<uint64_t>& pages) {
  for (uint64_t page : pages) MarkPageDirty(page);
}

std::vector<uint64_t> RefBitfield::TakeDirtyPages() {
  std::vector<uint64_t> out;
  if (dirty_count_ == 0) return out;
  for (uint64_t page = 0; page < dirty_.size(); ++page) {
    if (dirty_[page]) out.push_back(page);
  }
  dirty_.assign(dirty_.size(), false);
  dirty_count_ = 0;
  return out;
}

}  // namespace evermirror::hypercore
