#include "services/replicator/testing/in_process_replicator.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::replicator::testing {

absl::StatusOr<std::unique_ptr<InProcessReplicator>> InProcessReplicator::Start() {
  std::unique_ptr<InProcessReplicator> r(new InProcessReplicator());
  char tmpl[] = "/tmp/em_replicator_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  r->tmp_ = tmpl;
  ReplicatorOptions options;
  options.data_dir = r->tmp_ + "/data";
  options.peers.listen_address = "127.0.0.1:0";
  r->replicator_ = std::make_unique<Replicator>(options, env::DefaultFileSystem(), env::RealClock(), &r->metrics_);
  EM_RETURN_IF_ERROR(r->replicator_->Start());
  r->service_ = std::make_unique<ReplicatorService>(r->replicator_.get());
  rpc::ServerOptions server_options;
  server_options.listen_address = "127.0.0.1:0";
  EM_ASSIGN_OR_RETURN(r->server_,
                      rpc::GrpcServer::Start(server_options, {{r->service_.get(), v1::Replicator::service_full_name()}}));
  r->address_ = r->server_->addresses().front();
  return r;
}

void InProcessReplicator::Stop() {
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  server_.reset();
  service_.reset();
  replicator_.reset();
}

InProcessReplicator::~InProcessReplicator() {
  Stop();
  if (!tmp_.empty()) (void)env::DefaultFileSystem()->RemoveAll(tmp_);
}

}  // namespace evermirror::replicator::testing
