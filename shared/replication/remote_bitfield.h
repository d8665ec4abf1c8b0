// Which blocks a remote peer says it has, from its Have/Unhave messages. Paged and bounded, so a
// peer announcing absurd ranges costs a bounded amount of memory.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string_view>

namespace evermirror::replication {

// Not thread-safe.
class RemoteBitfield {
 public:
  static constexpr uint64_t kBitsPerPage = 8192;
  // `max_pages` bounds memory: 8192 blocks per 1 KiB page.
  explicit RemoteBitfield(uint64_t max_pages = 16384) : max_pages_(max_pages) {}

  bool Get(uint64_t block) const;
  // Sets [start, start + length) to `value`. Returns false (and changes nothing past the
  // limit) when setting would need more than max_pages pages.
  bool SetRange(uint64_t start, uint64_t length, bool value);
  // Sets blocks from an MSB-first bitfield whose bit 0 is block `start`; zero bits clear.
  // REQUIRES: start % 8 == 0.
  bool SetFromBits(uint64_t start, std::string_view bits);
  void Clear() { pages_.clear(); }

  // The first block in [from, end) the remote has, or `end`.
  uint64_t NextSet(uint64_t from, uint64_t end) const;
  // One past the highest block the remote has (0 if none): the reference's remoteLength.
  uint64_t Length() const;

 private:
  using Page = std::array<uint64_t, kBitsPerPage / 64>;
  Page* PageFor(uint64_t block, bool create);

  uint64_t max_pages_;
  std::map<uint64_t, Page> pages_;
};

}  // namespace evermirror::replication
