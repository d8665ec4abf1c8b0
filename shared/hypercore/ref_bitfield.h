// The bitfield file of hypercore 6–9's random-access-file storage, modelled exactly.
// Each page (3584 bytes; 3328 in old feeds) holds three sections: data bits (1024 bytes,
// one bit per block), tree bits (2048 bytes, one bit per flat-tree node) and an index
// (the rest) summarising the data bits so readers can skip full regions. Only the page
// content matters on disk, but the index content depends on the order of updates and on
// the reference's bookkeeping of allocated pages, so this class replays that bookkeeping:
// feeding it the same updates as the reference yields byte-identical pages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace evermirror::hypercore {

// Not thread-safe.
class RefBitfield {
 public:
  static constexpr size_t kPageSize = 3584;
  static constexpr size_t kLegacyPageSize = 3328;
  static constexpr size_t kDataBytesPerPage = 1024;
  static constexpr size_t kTreeBytesPerPage = 2048;

  // REQUIRES: page_size is kPageSize or kLegacyPageSize.
  explicit RefBitfield(size_t page_size = kPageSize);

  // Loads the file body (everything after the 32-byte header), as the reference does when
  // it opens a feed: every (possibly partial) page counts as allocated.
  void Load(std::string_view body);

  bool GetData(uint64_t block) const { return GetBit(data_, block); }
  // Sets or clears a block's bit and updates the index. Returns whether the bit changed.
  bool SetData(uint64_t block, bool value);

  bool GetTree(uint64_t node) const { return GetBit(tree_, node); }
  // Sets one tree bit without propagation (the TreeIndex propagates). Returns whether it
  // changed.
  bool SetTreeBit(uint64_t node);
  // The tree section's length in bits, as the reference's sparse bitfield reports it.
  uint64_t TreeLengthBits() const { return tree_.byte_length * 8; }

  // Number of data bits set, and the first block >= `from` whose bit is clear.
  uint64_t CountData() const { return data_count_; }
  uint64_t NextMissing(uint64_t from) const;
  // Data bits for blocks [start, start + 8 * n_bytes), MSB-first, as raw bytes.
  // REQUIRES: start is a multiple of 8.
  std::string DataBytes(uint64_t start, uint64_t n_bytes) const;

  size_t page_size() const { return page_size_; }
  uint64_t page_count() const { return pages_.size(); }
  // Page `i` in file layout; zeros if never allocated.
  std::string Page(uint64_t i) const;
  // Pages changed since the last call, ascending.
  std::vector<uint64_t> TakeDirtyPages();
  // Marks pages dirty again (after a failed write of them).
  void MarkDirty(const std::vector<uint64_t>& pages);

 private:
  struct Section {
    size_t offset;           // within a page
    unsigned shift;          // log2 of its bytes per page (a power of two in both page layouts):
                             // a byte's page is a shift away, not a division
    uint64_t byte_length;    // the reference's sparse-bitfield byteLength
    size_t BytesPerPage() const { return size_t{1} << shift; }
    uint64_t Page(uint64_t byte) const { return byte >> shift; }
    size_t Slot(uint64_t byte) const { return offset + (byte & (BytesPerPage() - 1)); }
  };
  static Section MakeSection(size_t offset, size_t bytes_per_page);

  // Inline: the reader path reads a few dozen bits per verified block.
  uint8_t GetByte(const Section& s, uint64_t i) const {
    const uint64_t page = s.Page(i);
    if (page >= pages_.size() || !pages_[page]) return 0;
    return pages_[page][s.Slot(i)];
  }
  bool SetByte(Section& s, uint64_t i, uint8_t value);
  bool GetBit(const Section& s, uint64_t bit) const {
    return (GetByte(s, bit >> 3) & (128 >> (bit & 7))) != 0;
  }
  uint8_t* AllocatePage(uint64_t page);
  void MarkPageDirty(uint64_t page);
  void UpdateIndex(uint64_t data_byte, uint8_t value);
  void ExpandIndex(uint64_t old_length_bits);

  size_t page_size_;
  Section data_;
  Section tree_;
  Section index_;
  std::vector<std::unique_ptr<uint8_t[]>> pages_;  // size() is the pager's length
  std::vector<bool> dirty_;  // by page
  uint64_t dirty_count_ = 0;
  uint64_t data_count_ = 0;
};

}  // namespace evermirror::hypercore
