// Held writes: the reader path's small writes (blocks verified one at a time and their tree
// nodes), kept in memory and written in runs. Written one by one, a verified 1 KiB block costs
// two syscalls and a page-cache insert, as much as hashing it; held, a full run of kHeldBytes
// goes out in two writes, on the I/O thread while the caller verifies the next blocks.
//
// Contract: what is held reaches the files before anything that needs it there. Callers
// (FeedStorage) call WriteAll before a sync, a size query or a truncation, and the *Over
// methods before a direct read or write of bytes or nodes that held ones may overlap. A run
// whose write fails stays held: the error is returned by the next call that writes (Hold when
// the buffer is full, WriteAll at the next commit, ...) until a retry succeeds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "shared/env/io_thread.h"
#include "shared/hypercore/tree_hash.h"

namespace evermirror::hypercore {

// A run is written once this many bytes of data, or of nodes (40 bytes each), are held. Each
// run posted to the I/O thread wakes it (~11 us for the caller on a VM, since a verified 1 KiB
// block arrives every ~1.5 us the thread is asleep again by then): 1 MiB runs cost 1% of the
// time the verification takes, 256 KiB runs cost 8%. A feed receiving data holds at most two
// runs, until its next commit gives the buffers back.
inline constexpr uint64_t kHeldBytes = 1u << 20;

// Thread-safe.
class HeldWrites {
 public:
  using DataWriter = absl::AnyInvocable<absl::Status(uint64_t offset, std::string_view bytes)>;
  using NodeWriter = absl::AnyInvocable<absl::Status(absl::Span<const Node> sorted_unique)>;

  // The writers run on `io` (the I/O thread) for full runs, or on the caller when `io` is null
  // and for WriteAll and the *Over methods.
  HeldWrites(DataWriter write_data, NodeWriter write_nodes, env::IoThread* io);
  // Waits for a run being written; what is still held is dropped, as a crash would drop it.
  ~HeldWrites();

  // Holds a verified block's bytes, at `offset` in the data file (none if empty), and tree
  // nodes. One call per block: the lock is taken once.
  absl::Status Hold(uint64_t offset, std::string_view data, absl::Span<const Node> nodes);

  // If held data holds all of [offset, offset + size), copies it to *out: true. Otherwise
  // writes held data overlapping that range (so the caller can read the file): false.
  absl::StatusOr<bool> ReadData(uint64_t offset, uint64_t size, std::string* out);
  // Writes everything held if held data overlaps [offset, offset + size) / held nodes
  // overlap indexes [lo, hi].
  absl::Status WriteDataOver(uint64_t offset, uint64_t size);
  absl::Status WriteNodesOver(uint64_t lo, uint64_t hi);
  // Writes everything held, now, and gives the buffers back (a commit: the feed may be done).
  absl::Status WriteAll();

 private:
  struct Run {
    uint64_t offset = 0;  // of `data` in the data file
    std::string data;     // contiguous
    std::vector<Node> nodes;  // sorted by the write (on the I/O thread): read only by it then
    bool has_nodes = false;   // !nodes.empty(), kept under the lock for readers
    uint64_t lo = 0, hi = 0;  // index range of `nodes`
    bool DataOverlaps(uint64_t offset, uint64_t size) const;
    bool NodesOverlap(uint64_t lo, uint64_t hi) const;
  };
  bool Full(const Run& run) const;
  // Hands the filling run to the I/O thread (or writes it here without one).
  absl::Status Send() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes what `run` holds (sorting its nodes); Settle clears what was written, under the lock.
  absl::Status WriteRun(Run& run, bool* data_written);
  void Settle(Run& run, bool data_written, const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Retries a run whose write failed, after waiting for one being written.
  absl::Status SettleWriting() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  DataWriter write_data_;
  NodeWriter write_nodes_;
  env::IoThread* const io_;

  absl::Mutex mu_;
  std::unique_ptr<Run> filling_ ABSL_GUARDED_BY(mu_);
  // The run the I/O thread writes while not `idle_` (its data is read-only meanwhile: readers
  // copy from it), or one whose write failed (`failed_`), or empty.
  std::unique_ptr<Run> writing_ ABSL_GUARDED_BY(mu_);
  bool idle_ ABSL_GUARDED_BY(mu_) = true;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::hypercore
