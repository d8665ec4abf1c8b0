#include "shared/drive/block_source.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"

namespace evermirror::drive {

absl::StatusOr<BlockPosition> BlockSource::Seek(uint64_t byte_offset, uint64_t start, uint64_t end,
                                                uint64_t start_byte) {
  if (byte_offset < start_byte) return absl::OutOfRangeError("seek before the range");
  uint64_t remaining = byte_offset - start_byte;
  for (uint64_t i = start; i < end; ++i) {
    EM_ASSIGN_OR_RETURN(const uint64_t size, BlockSize(i));
    if (remaining < size) return BlockPosition{i, remaining};
    remaining -= size;
  }
  return absl::OutOfRangeError(absl::StrCat("byte ", byte_offset, " lies beyond blocks [", start, ", ", end, ")"));
}

absl::StatusOr<BlockPosition> FeedBlockSource::Seek(uint64_t byte_offset, uint64_t start, uint64_t end,
                                                    uint64_t start_byte) {
  absl::StatusOr<std::pair<uint64_t, uint64_t>> found = feed_->Seek(byte_offset);
  if (found.status().code() == absl::StatusCode::kUnavailable) {
    return BlockSource::Seek(byte_offset, start, end, start_byte);
  }
  if (!found.ok()) return found.status();
  if (found->first < start || found->first >= end) {
    return absl::OutOfRangeError(absl::StrCat("byte ", byte_offset, " lies beyond blocks [", start, ", ", end, ")"));
  }
  return BlockPosition{found->first, found->second};
}

}  // namespace evermirror::drive
