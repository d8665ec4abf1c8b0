// Test support: a real Replicator with its gRPC server on 127.0.0.1:0 in this process
// (replicator::testing::InProcessReplicator), a channel to it, ReplicatorPorts over that channel, and helpers to write command logs (in
// tests other owners' logs are simply written in the same replicator).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "evermirror/commands/v1/commands.pb.h"
#include "services/ingest/grpc_ports.h"
#include "services/ingest/testing/test_commands.h"
#include "services/replicator/testing/in_process_replicator.h"

namespace evermirror::ingest::testing {

class ReplicatorFixture {
 public:
  // Starts it in a fresh temporary directory. Aborts the test binary on failure.
  ReplicatorFixture();
  ~ReplicatorFixture();  // stops it and removes the directory

  const std::string& address() const { return node_->address(); }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  ReplicatorPorts& ports() { return *ports_; }
  replicator::Replicator& replicator() { return node_->replicator(); }
  const std::string& tmp() const { return node_->tmp(); }

  // A new command log with its header; its key.
  std::string NewCommandLog(const std::string& name = "laptop");
  // Appends commands (serialized) / raw blocks; the new length.
  uint64_t AppendCommands(const std::string& log, const std::vector<commands::v1::Command>& commands);
  uint64_t AppendRaw(const std::string& log, const std::vector<std::string>& blocks);
  // Every decoded command receipt of receipt log `key`, in order.
  std::vector<commands::v1::CommandReceipt> CommandReceipts(const std::string& key);
  std::vector<commands::v1::SiteProgress> ProgressReceipts(const std::string& key);

 private:
  std::unique_ptr<replicator::testing::InProcessReplicator> node_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ReplicatorPorts> ports_;
};

}  // namespace evermirror::ingest::testing
