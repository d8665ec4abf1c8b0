#include "services/ingest/testing/replicator_fixture.h"

#include <cstdio>

#include "services/ingest/command_codec.h"
#include "shared/rpc/client.h"

namespace evermirror::ingest::testing {
namespace {

template <typename T>
T OrDie(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

}  // namespace

ReplicatorFixture::ReplicatorFixture() {
  node_ = OrDie(replicator::testing::InProcessReplicator::Start(), "replicator");
  channel_ = OrDie(rpc::MakeChannel(node_->address()), "channel");
  ports_ = std::make_unique<ReplicatorPorts>(channel_);
}

ReplicatorFixture::~ReplicatorFixture() = default;  // the node stops and removes its directory

std::string ReplicatorFixture::NewCommandLog(const std::string& name) {
  const std::string key = OrDie(ports_->Create(), "create log");
  OrDie(ports_->Append(key, {EncodeHeader(kCommandsLogType, name)}), "header");
  return key;
}

uint64_t ReplicatorFixture::AppendCommands(const std::string& log, const std::vector<commands::v1::Command>& commands) {
  std::vector<std::string> blocks;
  for (const commands::v1::Command& c : commands) blocks.push_back(c.SerializeAsString());
  return AppendRaw(log, blocks);
}

uint64_t ReplicatorFixture::AppendRaw(const std::string& log, const std::vector<std::string>& blocks) {
  return OrDie(ports_->Append(log, blocks), "append");
}

std::vector<commands::v1::CommandReceipt> ReplicatorFixture::CommandReceipts(const std::string& key) {
  std::vector<commands::v1::CommandReceipt> out;
  const FeedView view = OrDie(ports_->Get(key), "get receipts");
  for (uint64_t i = 1; i < view.length; ++i) {
    auto blocks = OrDie(ports_->Read(key, i, 1), "read receipt");
    commands::v1::Receipt r = OrDie(DecodeReceipt(*blocks.at(0)), "decode receipt");
    if (r.has_command()) out.push_back(r.command());
  }
  return out;
}

std::vector<commands::v1::SiteProgress> ReplicatorFixture::ProgressReceipts(const std::string& key) {
  std::vector<commands::v1::SiteProgress> out;
  const FeedView view = OrDie(ports_->Get(key), "get receipts");
  for (uint64_t i = 1; i < view.length; ++i) {
    auto blocks = OrDie(ports_->Read(key, i, 1), "read receipt");
    commands::v1::Receipt r = OrDie(DecodeReceipt(*blocks.at(0)), "decode receipt");
    if (r.has_progress()) out.push_back(r.progress());
  }
  return out;
}

}  // namespace evermirror::ingest::testing
