#include "services/ingest/state_store.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "shared/base/status_macros.h"

namespace evermirror::ingest {
namespace {

constexpr uint32_t kFormat = 1;
constexpr uint64_t kMaxStateBytes = 64u << 20;

}  // namespace

StateStore::StateStore(env::FileSystem* fs, std::string dir)
    : fs_(fs), dir_(std::move(dir)), path_(env::JoinPath(dir_, "state.json")) {}

absl::Status StateStore::Load() {
  absl::StatusOr<std::string> text = env::ReadFile(*fs_, path_, kMaxStateBytes);
  IngestState state;
  if (absl::IsNotFound(text.status())) {
    state.set_format(kFormat);
  } else {
    EM_RETURN_IF_ERROR(text.status());
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;  // written by a newer version: keep what we know
    const auto parsed = google::protobuf::util::JsonStringToMessage(*text, &state, options);
    if (!parsed.ok()) {
      return absl::DataLossError(absl::StrCat(path_, " does not parse: ", parsed.message().as_string(),
                                              " (move it away to start from an empty state)"));
    }
    if (state.format() != kFormat) {
      return absl::DataLossError(absl::StrCat(path_, ": unknown format ", state.format()));
    }
  }
  absl::MutexLock lock(&mu_);
  state_ = std::move(state);
  return absl::OkStatus();
}

IngestState StateStore::Get() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

absl::Status StateStore::Commit(const IngestState& given) {
  absl::MutexLock write_lock(&write_mu_);
  IngestState state = given;
  state.set_format(kFormat);
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string text;
  const auto printed = google::protobuf::util::MessageToJsonString(state, &text, options);
  if (!printed.ok()) return absl::InternalError(absl::StrCat("state to JSON: ", printed.message().as_string()));
  EM_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
  EM_RETURN_IF_ERROR(env::WriteFileAtomic(*fs_, path_, text, 0600));
  absl::MutexLock lock(&mu_);
  state_ = std::move(state);
  return absl::OkStatus();
}

}  // namespace evermirror::ingest
