// FileBytes: the immutable contents of a cached file. Small contents live on the heap;
// large ones in an anonymous memory file (memfd) mapped read-only, so HttpServer can send
// them with sendfile(2), without copying them into the socket, and still slice them for
// range requests. Used by ContentCache entries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace evermirror::gateway {

// Move-only. Reads are thread-safe.
class FileBytes {
 public:
  FileBytes() = default;
  // Takes `data`. When it has at least `memfd_min_bytes` bytes, moves it into a memfd (if
  // the kernel refuses one, it stays on the heap).
  FileBytes(std::string data, size_t memfd_min_bytes);
  ~FileBytes();
  FileBytes(FileBytes&& other) noexcept;
  FileBytes& operator=(FileBytes&& other) noexcept;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  std::string_view view() const { return {data_, size_}; }
  size_t size() const { return size_; }
  // The memfd holding the bytes from offset 0, or -1 when they are on the heap. Owned by
  // this object: dup() it to hand it to something that closes it.
  int fd() const { return fd_; }

 private:
  void Release();

  std::string heap_;
  int fd_ = -1;
  void* map_ = nullptr;
  const char* data_ = "";
  size_t size_ = 0;
};

}  // namespace evermirror::gateway
