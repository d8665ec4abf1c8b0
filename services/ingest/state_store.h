// Ingest's desired state on disk: <dir>/state.json, the JSON mapping of IngestState
// (proto/evermirror/ingest/v1/state.proto), replaced atomically (env::WriteFileAtomic) on every
// change, so a crash leaves the old state or the new one. Holds the current state in memory.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/ingest/command_rules.h"
#include "shared/env/file_system.h"

namespace evermirror::ingest {

// Thread-safe.
class StateStore {
 public:
  // `fs` must outlive the store. The state lives in <dir>/state.json.
  StateStore(env::FileSystem* fs, std::string dir);

  // Reads the file (an empty state when there is none yet). DataLoss naming the file when it
  // does not parse or has an unknown format; storage errors as they come.
  absl::Status Load();
  // A copy of the current state.
  IngestState Get() const;
  // Writes `state` durably, then makes it current. On error the current state is unchanged.
  absl::Status Commit(const IngestState& state);

  const std::string& path() const { return path_; }

 private:
  env::FileSystem* const fs_;
  const std::string dir_;
  const std::string path_;
  mutable absl::Mutex mu_;
  IngestState state_ ABSL_GUARDED_BY(mu_);
  absl::Mutex write_mu_;  // one writer at a time: a later commit must not be overtaken
};

}  // namespace evermirror::ingest
