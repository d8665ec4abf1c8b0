#include "shared/hypercore/held_writes.h"

#include <algorithm>

#include "shared/base/status_macros.h"

namespace evermirror::hypercore {
namespace {

constexpr uint64_t kNodeBytes = 40;       // a node's size in the tree file
constexpr uint64_t kSignatureBytes = 64;  // a signature's size in the signatures file

// Sorts by key and keeps one entry per key: an entry held twice has one value (a feed's
// nodes and signatures never change once verified or appended).
template <typename Entry, typename Key>
void SortUnique(std::vector<Entry>& entries, Key key) {
  std::sort(entries.begin(), entries.end(), [&key](const Entry& a, const Entry& b) { return key(a) < key(b); });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [&key](const Entry& a, const Entry& b) { return key(a) == key(b); }),
                entries.end());
}

}  // namespace

template <typename Entry>
void HeldWrites::Entries<Entry>::Add(const Entry& entry, uint64_t key) {
  if (!any) lo = hi = key;
  any = true;
  items.push_back(entry);
  lo = std::min(lo, key);
  hi = std::max(hi, key);
}

template <typename Entry>
void HeldWrites::Entries<Entry>::Clear() {
  items.clear();
  any = false;
}

bool HeldWrites::Run::DataOverlaps(uint64_t from, uint64_t size) const {
  return !data.empty() && from < offset + data.size() && from + size > offset;
}

HeldWrites::HeldWrites(DataWriter write_data, NodeWriter write_nodes, SignatureWriter write_signatures,
                       env::IoThread* io)
    : write_data_(std::move(write_data)),
      write_nodes_(std::move(write_nodes)),
      write_signatures_(std::move(write_signatures)),
      io_(io),
      filling_(std::make_unique<Run>()),
      writing_(std::make_unique<Run>()) {}

HeldWrites::~HeldWrites() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&idle_));  // the posted write uses this object and the files
}

bool HeldWrites::Fits(const Run& run, const HeldBatch& batch, uint64_t data_size) const {
  if (data_size > 0 && !run.data.empty() && batch.data_offset != run.offset + run.data.size()) return false;
  return run.data.size() + data_size <= kHeldBytes &&
         (run.nodes.items.size() + batch.nodes.size()) * kNodeBytes <= kHeldBytes &&
         (run.signatures.items.size() + batch.signature.has_value()) * kSignatureBytes <= kHeldBytes;
}

// The run goes out before a batch that would overflow it (or leave a gap in its data) is
// added, so an error from that write leaves the batch out: Hold holds all of it or nothing.
absl::Status HeldWrites::Hold(const HeldBatch& batch) {
  uint64_t data_size = 0;
  for (std::string_view block : batch.data) data_size += block.size();
  absl::MutexLock lock(&mu_);
  if (!filling_->Empty() && !Fits(*filling_, batch, data_size)) EM_RETURN_IF_ERROR(Send());
  Run& run = *filling_;
  if (data_size > 0) {
    if (run.data.empty()) run.offset = batch.data_offset;
    for (std::string_view block : batch.data) run.data.append(block);
  }
  for (const Node& node : batch.nodes) run.nodes.Add(node, node.index);
  if (batch.signature.has_value()) run.signatures.Add(*batch.signature, batch.signature->index);
  return absl::OkStatus();
}

absl::Status HeldWrites::Send() {
  EM_RETURN_IF_ERROR(SettleWriting());
  std::swap(filling_, writing_);  // the empty, written run (with its buffers) fills next
  if (io_ == nullptr) {
    Written written = Written::kNothing;
    absl::Status status = WriteRun(*writing_, &written);
    Settle(*writing_, written, status);
    return status;
  }
  idle_ = false;
  io_->Post([this, run = writing_.get()] {
    Written written = Written::kNothing;
    absl::Status status = WriteRun(*run, &written);
    absl::MutexLock lock(&mu_);
    Settle(*run, written, status);
    idle_ = true;
  });
  return absl::OkStatus();
}

// Readers may look at the run meanwhile: its data is only read here, and of its nodes and
// signatures (sorted in place) readers only check the ranges.
absl::Status HeldWrites::WriteRun(Run& run, Written* written) {
  if (*written == Written::kNothing) {
    if (!run.data.empty()) EM_RETURN_IF_ERROR(write_data_(run.offset, run.data));
    *written = Written::kData;
  }
  if (*written == Written::kData) {
    if (!run.nodes.items.empty()) {
      SortUnique(run.nodes.items, [](const Node& n) { return n.index; });
      EM_RETURN_IF_ERROR(write_nodes_(run.nodes.items));
    }
    *written = Written::kNodes;
  }
  if (!run.signatures.items.empty()) {
    SortUnique(run.signatures.items, [](const SignatureEntry& s) { return s.index; });
    EM_RETURN_IF_ERROR(write_signatures_(run.signatures.items));
  }
  *written = Written::kAll;
  return absl::OkStatus();
}

void HeldWrites::Settle(Run& run, Written written, const absl::Status& status) {
  if (written >= Written::kData) run.data.clear();
  if (written >= Written::kNodes) run.nodes.Clear();
  if (written == Written::kAll) run.signatures.Clear();
  if (&run == writing_.get()) failed_ = status;
}

absl::Status HeldWrites::SettleWriting() {
  mu_.Await(absl::Condition(&idle_));
  if (failed_.ok()) return absl::OkStatus();
  Written written = Written::kNothing;  // a retry writes the run's remains from the start
  absl::Status status = WriteRun(*writing_, &written);
  Settle(*writing_, written, status);
  return status;
}

absl::Status HeldWrites::WriteAllLocked() {
  EM_RETURN_IF_ERROR(SettleWriting());
  Written written = Written::kNothing;
  absl::Status status = WriteRun(*filling_, &written);
  Settle(*filling_, written, status);
  return status;
}

absl::Status HeldWrites::WriteAll() {
  absl::MutexLock lock(&mu_);
  EM_RETURN_IF_ERROR(WriteAllLocked());
  *filling_ = Run();
  *writing_ = Run();
  return absl::OkStatus();
}

absl::StatusOr<bool> HeldWrites::ReadData(uint64_t offset, uint64_t size, std::string* out) {
  absl::MutexLock lock(&mu_);
  for (const Run* run : {filling_.get(), writing_.get()}) {
    if (!run->data.empty() && offset >= run->offset && offset + size <= run->offset + run->data.size()) {
      out->assign(run->data, offset - run->offset, size);
      return true;
    }
  }
  if (filling_->DataOverlaps(offset, size) || writing_->DataOverlaps(offset, size)) {
    EM_RETURN_IF_ERROR(WriteAllLocked());
  }
  return false;
}

absl::Status HeldWrites::WriteDataOver(uint64_t offset, uint64_t size) {
  absl::MutexLock lock(&mu_);
  if (!filling_->DataOverlaps(offset, size) && !writing_->DataOverlaps(offset, size)) return absl::OkStatus();
  return WriteAllLocked();
}

absl::Status HeldWrites::WriteNodesOver(uint64_t lo, uint64_t hi) {
  absl::MutexLock lock(&mu_);
  if (!filling_->nodes.Overlap(lo, hi) && !writing_->nodes.Overlap(lo, hi)) return absl::OkStatus();
  return WriteAllLocked();
}

absl::Status HeldWrites::WriteSignatureOver(uint64_t index) {
  absl::MutexLock lock(&mu_);
  if (!filling_->signatures.Overlap(index, index) && !writing_->signatures.Overlap(index, index)) {
    return absl::OkStatus();
  }
  return WriteAllLocked();
}

}  // namespace evermirror::hypercore
