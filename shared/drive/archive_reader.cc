#include "shared/drive/archive_reader.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"

namespace evermirror::drive {

const char* ChangeKindName(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::kCreate:
      return "create";
    case Change::Kind::kPut:
      return "put";
    case Change::Kind::kMkdir:
      return "mkdir";
    case Change::Kind::kDelete:
      return "del";
  }
  return "?";
}

absl::StatusOr<crypto::PublicKey> ReadContentKey(BlockSource& metadata) {
  if (metadata.Length() == 0) return absl::FailedPreconditionError("the archive has no index block yet");
  EM_ASSIGN_OR_RETURN(std::string block, metadata.Get(0));
  return DecodeIndex(block);
}

ArchiveReader::ArchiveReader(BlockSource* metadata, BlockSource* content, const ReaderOptions& options)
    : metadata_(metadata), content_(content), nodes_(metadata, options.node_cache_bytes), trie_(&nodes_) {}

uint64_t ArchiveReader::version() const {
  const uint64_t length = metadata_->Length();
  return length == 0 ? 0 : length - 1;
}

absl::StatusOr<Snapshot> ArchiveReader::Checkout(uint64_t version) {
  if (version > this->version()) {
    return absl::OutOfRangeError(absl::StrCat("version ", version, " does not exist (latest is ", this->version(), ")"));
  }
  return Snapshot(&trie_, content_, version);
}

absl::StatusOr<Change> ArchiveReader::ChangeAt(uint64_t version) {
  Change change;
  change.version = version;
  if (version == 0) return change;
  EM_ASSIGN_OR_RETURN(NodePtr node, nodes_.Get(version));
  change.path = node->name;
  if (!node->value.has_value()) {
    change.kind = Change::Kind::kDelete;
    return change;
  }
  EM_ASSIGN_OR_RETURN(change.stat, DecodeStat(*node->value));
  change.kind = change.stat.IsDirectory() && !change.stat.IsFile() ? Change::Kind::kMkdir : Change::Kind::kPut;
  return change;
}

absl::StatusOr<std::vector<Change>> ArchiveReader::History(uint64_t from, uint64_t to) {
  if (to > version()) return absl::OutOfRangeError(absl::StrCat("version ", to, " does not exist"));
  std::vector<Change> out;
  for (uint64_t v = from; v <= to; ++v) {
    EM_ASSIGN_OR_RETURN(Change change, ChangeAt(v));
    out.push_back(std::move(change));
  }
  return out;
}

}  // namespace evermirror::drive
