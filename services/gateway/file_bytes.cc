#include "services/gateway/file_bytes.h"

#include <sys/mman.h>
#include <unistd.h>

#include <utility>

namespace evermirror::gateway {
namespace {

// An anonymous in-memory file, not a file-system path: it lives in RAM like the heap copy
// it replaces, so it does not go through the FileSystem seam.
int MemFdWithContents(std::string_view data) {
  const int fd = memfd_create("evermirror-cache", MFD_CLOEXEC);
  if (fd < 0) return -1;
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n <= 0) {
      close(fd);
      return -1;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return fd;
}

}  // namespace

FileBytes::FileBytes(std::string data, size_t memfd_min_bytes) {
  size_ = data.size();
  if (size_ > 0 && size_ >= memfd_min_bytes) {
    const int fd = MemFdWithContents(data);
    void* map = fd < 0 ? MAP_FAILED : mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
      fd_ = fd;
      map_ = map;
      data_ = static_cast<const char*>(map);
      return;
    }
    if (fd >= 0) close(fd);
  }
  heap_ = std::move(data);
  data_ = heap_.data();
}

FileBytes::~FileBytes() { Release(); }

FileBytes::FileBytes(FileBytes&& other) noexcept { *this = std::move(other); }

FileBytes& FileBytes::operator=(FileBytes&& other) noexcept {
  if (this == &other) return *this;
  Release();
  const bool on_heap = other.fd_ < 0;
  heap_ = std::move(other.heap_);
  fd_ = std::exchange(other.fd_, -1);
  map_ = std::exchange(other.map_, nullptr);
  size_ = std::exchange(other.size_, 0);
  data_ = on_heap ? heap_.data() : static_cast<const char*>(map_);
  other.data_ = "";
  return *this;
}

void FileBytes::Release() {
  if (map_ != nullptr) munmap(map_, size_);
  if (fd_ >= 0) close(fd_);
  map_ = nullptr;
  fd_ = -1;
}

}  // namespace evermirror::gateway
