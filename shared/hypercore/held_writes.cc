#include "shared/hypercore/held_writes.h"

#include <algorithm>

#include "shared/base/status_macros.h"

namespace evermirror::hypercore {
namespace {

constexpr uint64_t kNodeBytes = 40;  // a node's size in the tree file

}  // namespace

bool HeldWrites::Run::DataOverlaps(uint64_t from, uint64_t size) const {
  return !data.empty() && from < offset + data.size() && from + size > offset;
}

bool HeldWrites::Run::NodesOverlap(uint64_t from, uint64_t to) const {
  return has_nodes && from <= hi && to >= lo;
}

HeldWrites::HeldWrites(DataWriter write_data, NodeWriter write_nodes, env::IoThread* io)
    : write_data_(std::move(write_data)),
      write_nodes_(std::move(write_nodes)),
      io_(io),
      filling_(std::make_unique<Run>()),
      writing_(std::make_unique<Run>()) {}

HeldWrites::~HeldWrites() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&idle_));  // the posted write uses this object and the files
}

bool HeldWrites::Full(const Run& run) const {
  return run.data.size() >= kHeldBytes || run.nodes.size() * kNodeBytes >= kHeldBytes;
}

absl::Status HeldWrites::Hold(uint64_t offset, std::string_view data, absl::Span<const Node> nodes) {
  if (data.empty() && nodes.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (!data.empty() && !filling_->data.empty() && offset != filling_->offset + filling_->data.size()) {
    EM_RETURN_IF_ERROR(Send());  // a run's data is contiguous
  }
  Run& run = *filling_;
  if (!data.empty()) {
    if (run.data.empty()) run.offset = offset;
    run.data.append(data);
  }
  if (!nodes.empty()) {
    if (!run.has_nodes) run.lo = run.hi = nodes[0].index;
    run.has_nodes = true;
    for (const Node& node : nodes) {
      run.nodes.push_back(node);
      run.lo = std::min(run.lo, node.index);
      run.hi = std::max(run.hi, node.index);
    }
  }
  return Full(run) ? Send() : absl::OkStatus();
}

absl::Status HeldWrites::Send() {
  EM_RETURN_IF_ERROR(SettleWriting());
  std::swap(filling_, writing_);  // the empty, written run (with its buffers) fills next
  if (io_ == nullptr) {
    bool data_written = false;
    absl::Status status = WriteRun(*writing_, &data_written);
    Settle(*writing_, data_written, status);
    return status;
  }
  idle_ = false;
  io_->Post([this, run = writing_.get()] {
    bool data_written = false;
    absl::Status status = WriteRun(*run, &data_written);
    absl::MutexLock lock(&mu_);
    Settle(*run, data_written, status);
    idle_ = true;
  });
  return absl::OkStatus();
}

absl::Status HeldWrites::WriteRun(Run& run, bool* data_written) {
  *data_written = false;
  if (!run.data.empty()) EM_RETURN_IF_ERROR(write_data_(run.offset, run.data));
  *data_written = true;
  if (run.nodes.empty()) return absl::OkStatus();
  // A node held twice has one value (a feed's nodes never change): write it once.
  auto by_index = [](const Node& a, const Node& b) { return a.index < b.index; };
  std::sort(run.nodes.begin(), run.nodes.end(), by_index);
  run.nodes.erase(std::unique(run.nodes.begin(), run.nodes.end(),
                              [](const Node& a, const Node& b) { return a.index == b.index; }),
                  run.nodes.end());
  return write_nodes_(run.nodes);
}

void HeldWrites::Settle(Run& run, bool data_written, const absl::Status& status) {
  if (data_written) run.data.clear();
  if (status.ok()) {
    run.nodes.clear();
    run.has_nodes = false;
  }
  if (&run == writing_.get()) failed_ = status;
}

absl::Status HeldWrites::SettleWriting() {
  mu_.Await(absl::Condition(&idle_));
  if (failed_.ok()) return absl::OkStatus();
  bool data_written = false;
  absl::Status status = WriteRun(*writing_, &data_written);
  Settle(*writing_, data_written, status);
  return status;
}

absl::Status HeldWrites::WriteAllLocked() {
  EM_RETURN_IF_ERROR(SettleWriting());
  bool data_written = false;
  absl::Status status = WriteRun(*filling_, &data_written);
  Settle(*filling_, data_written, status);
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
  if (!filling_->NodesOverlap(lo, hi) && !writing_->NodesOverlap(lo, hi)) return absl::OkStatus();
  return WriteAllLocked();
}

}  // namespace evermirror::hypercore
