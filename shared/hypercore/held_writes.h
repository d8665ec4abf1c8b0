// Held writes: a feed's small writes (an append's tree nodes and signature, a verified block
// and its nodes), kept in memory and written in runs. Written one by one, a verified 1 KiB
// block costs two syscalls and a page-cache insert, as much as hashing it, and an append a
// syscall or two beside its signing; held, a full run of kHeldBytes goes out in a few writes,
// on the I/O thread while the caller goes on.
//
// Contract: what is held reaches the files before anything that needs it there. Callers
// (FeedStorage) call WriteAll before a sync, a size query or a truncation, and the *Over
// methods before a direct read or write of bytes, nodes or signatures that held ones may
// overlap. A run whose write fails stays held: the error is returned by the next call that
// writes (Hold when a run is due, WriteAll at the next commit, ...) until a retry succeeds.
// Hold is all or nothing: when it fails, nothing of the batch is held.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "shared/crypto/crypto.h"
#include "shared/env/io_thread.h"
#include "shared/hypercore/tree_hash.h"

namespace evermirror::hypercore {

// A run is written once this many bytes of data, of nodes (40 bytes each) or of signatures
// (64) are held. Each run posted to the I/O thread wakes it (~11 us for the caller on a VM,
// since a verified 1 KiB block arrives every ~1.5 us the thread is asleep again by then):
// 1 MiB runs cost 1% of the time the verification takes, 256 KiB runs cost 8%. A feed
// writing or receiving data holds at most two runs, until its next commit gives them back.
inline constexpr uint64_t kHeldBytes = 1u << 20;

struct SignatureEntry {
  uint64_t index = 0;  // of the block whose tree it signs
  crypto::Signature signature{};
};

// What one append or one verified block writes.
struct HeldBatch {
  uint64_t data_offset = 0;                  // where `data` starts in the data file
  absl::Span<const std::string_view> data;   // back to back; together under kHeldBytes
  absl::Span<const Node> nodes;
  std::optional<SignatureEntry> signature;
};

// Thread-safe.
class HeldWrites {
 public:
  using DataWriter = absl::AnyInvocable<absl::Status(uint64_t offset, std::string_view bytes)>;
  using NodeWriter = absl::AnyInvocable<absl::Status(absl::Span<const Node> sorted_unique)>;
  using SignatureWriter = absl::AnyInvocable<absl::Status(absl::Span<const SignatureEntry> sorted_unique)>;

  // The writers run on `io` (the I/O thread) for full runs, or on the caller when `io` is null
  // and for WriteAll and the *Over methods.
  HeldWrites(DataWriter write_data, NodeWriter write_nodes, SignatureWriter write_signatures, env::IoThread* io);
  // Waits for a run being written; what is still held is dropped, as a crash would drop it.
  ~HeldWrites();

  absl::Status Hold(const HeldBatch& batch);

  // If held data holds all of [offset, offset + size), copies it to *out: true. Otherwise
  // writes held data overlapping that range (so the caller can read the file): false.
  absl::StatusOr<bool> ReadData(uint64_t offset, uint64_t size, std::string* out);
  // Writes everything held if held data overlaps [offset, offset + size) / held nodes
  // overlap indexes [lo, hi] / held signatures may include block `index`'s.
  absl::Status WriteDataOver(uint64_t offset, uint64_t size);
  absl::Status WriteNodesOver(uint64_t lo, uint64_t hi);
  absl::Status WriteSignatureOver(uint64_t index);
  // Writes everything held, now, and gives the buffers back (a commit: the feed may be done).
  absl::Status WriteAll();

 private:
  // Held entries of one kind and the range of their keys (node or block indexes), which
  // readers check under the lock while the I/O thread writes the entries.
  template <typename Entry>
  struct Entries {
    std::vector<Entry> items;  // sorted by the write (on the I/O thread): read only by it then
    bool any = false;          // !items.empty(), kept under the lock for readers
    uint64_t lo = 0, hi = 0;
    void Add(const Entry& entry, uint64_t key);
    bool Overlap(uint64_t from, uint64_t to) const { return any && from <= hi && to >= lo; }
    void Clear();
  };
  struct Run {
    uint64_t offset = 0;  // of `data` in the data file
    std::string data;     // contiguous
    Entries<Node> nodes;
    Entries<SignatureEntry> signatures;
    bool DataOverlaps(uint64_t offset, uint64_t size) const;
    bool Empty() const { return data.empty() && !nodes.any && !signatures.any; }
  };
  // What a run has written so far, in order: its data, then its nodes, then its signatures.
  enum class Written { kNothing, kData, kNodes, kAll };

  bool Fits(const Run& run, const HeldBatch& batch, uint64_t data_size) const;
  // Hands the filling run to the I/O thread (or writes it here without one).
  absl::Status Send() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes what `run` holds (sorting its entries); Settle clears what was written, under the lock.
  absl::Status WriteRun(Run& run, Written* written);
  void Settle(Run& run, Written written, const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Retries a run whose write failed, after waiting for one being written.
  absl::Status SettleWriting() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  DataWriter write_data_;
  NodeWriter write_nodes_;
  SignatureWriter write_signatures_;
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
