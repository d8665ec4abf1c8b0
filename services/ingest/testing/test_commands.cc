#include "services/ingest/testing/test_commands.h"

#include "services/ingest/command_codec.h"
#include "shared/crypto/key_text.h"

namespace evermirror::ingest::testing {

commands::v1::Command NewCommand(absl::Time issued_at, std::vector<std::string> to) {
  commands::v1::Command c;
  c.set_id(NewCommandId());
  *c.mutable_issued_at() = ToStamp(issued_at);
  for (std::string& key : to) c.add_to(std::move(key));
  return c;
}

commands::v1::Command MirrorAddCommand(const std::string& site, const std::string& alias, std::vector<std::string> to) {
  commands::v1::Command c = NewCommand(absl::Now(), std::move(to));
  c.mutable_mirror_add()->set_site_key(site);
  c.mutable_mirror_add()->set_alias(alias);
  return c;
}

std::string RandomKey() { return crypto::KeyHex(crypto::GenerateKeyPair().public_key); }

}  // namespace evermirror::ingest::testing
