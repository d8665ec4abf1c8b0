// shared/wire against the reference: streams recorded from real hypercore 7.7.1 peers decode and
// re-encode byte for byte, bitfield-rle matches the npm package, and hypercore-protocol 6.12.0
// accepts what WireWriter writes. The node side runs in-process pipes only (no sockets).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/wire/bitfield_rle.h"
#include "shared/wire/messages.h"
#include "shared/wire/testing/recorded_stream.h"
#include "shared/wire/wire_writer.h"

namespace evermirror::wire {
namespace {

namespace fs = std::filesystem;
using testing::DecodedStream;
using testing::RecordedStream;

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream out;
  out << file.rdbuf();
  return out.str();
}

void WriteFile(const fs::path& path, std::string_view data) {
  std::ofstream file(path, std::ios::binary);
  file.write(data.data(), static_cast<std::streamsize>(data.size()));
}

class WireInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
    if (!fs::exists(fs::path(EM_HYPERCORE7_NPM_DIR) / "node_modules" / "hypercore-protocol")) {
      GTEST_SKIP() << "run tests/interop/setup.sh first (no hypercore7 node_modules)";
    }
    char dir[] = "/tmp/wire-interop-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    tmp_ = dir;
  }
  void TearDown() override {
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  // Runs a script of tests/wire_interop with node; returns its stdout, fails on a non-zero exit.
  std::string Node(const std::string& script, const std::string& args) {
    const std::string command = "node " EM_WIRE_INTEROP_DIR "/" + script + " " EM_HYPERCORE7_NPM_DIR " " + args;
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (pipe == nullptr) return "";
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
    EXPECT_EQ(pclose(pipe), 0) << command;
    return out;
  }

  fs::path tmp_;
};

TEST_F(WireInteropTest, RecordedReferenceConnectionsDecodeAndReencodeExactly) {
  Node("record.js", tmp_.string() + " --big --idle");
  std::map<std::string, std::set<std::string>> blocks;
  std::ifstream lines(tmp_ / "blocks.txt");
  std::string scenario, index, hex;
  while (lines >> scenario >> index >> hex) blocks[scenario].insert(*FromHex(hex));
  ASSERT_EQ(blocks.size(), 4u);

  int files = 0;
  for (const auto& entry : fs::directory_iterator(tmp_)) {
    if (entry.path().extension() != ".wire") continue;
    ++files;
    const std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    const RecordedStream stream = *testing::ParseRecordedStream(ReadFile(entry.path()));
    const DecodedStream decoded = testing::DecodeStream(stream);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status;
    EXPECT_TRUE(decoded.at_frame_boundary);
    absl::StatusOr<std::string> again = testing::ReencodeStream(stream, decoded);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(*again == stream.bytes) << "re-encoding differs";
    testing::DecodeOptions chunked;
    chunked.chunk_seed = 99;
    chunked.key_timing = testing::KeyTiming::kLater;
    EXPECT_EQ(testing::DecodeStream(stream, chunked).frames.size(), decoded.frames.size());
    if (name.starts_with("idle")) {
      // Both reference peers pinged while idle, with an encrypted zero-length frame.
      EXPECT_GE(std::count_if(decoded.frames.begin(), decoded.frames.end(),
                              [](const testing::OwnedFrame& f) { return f.kind == FrameKind::kKeepAlive; }),
                1);
    }
    if (name.ends_with(".a2b")) {
      std::set<std::string> values;
      for (const testing::OwnedFrame& frame : decoded.frames) {
        if (frame.type == static_cast<uint8_t>(MessageType::kData)) {
          values.insert(DecodeMessage<v1::Data>(frame.body)->value());
        }
      }
      EXPECT_EQ(values, blocks.at(name.substr(0, name.size() - 4)));
    }
  }
  EXPECT_EQ(files, 8);
}

TEST_F(WireInteropTest, BitfieldRleMatchesTheNpmPackage) {
  std::istringstream lines(Node("rle_vectors.js", "20240601 1500"));
  std::string input_hex, encoded_hex;
  int cases = 0;
  while (lines >> input_hex >> encoded_hex) {
    const std::string input = input_hex == "-" ? "" : *FromHex(input_hex);
    const std::string encoded = encoded_hex == "-" ? "" : *FromHex(encoded_hex);
    ASSERT_EQ(ToHex(EncodeBitfieldRle(input)), encoded_hex == "-" ? "" : encoded_hex) << input_hex;
    std::string trimmed = input;
    while (!trimmed.empty() && trimmed.back() == '\0') trimmed.pop_back();
    ASSERT_EQ(*DecodeBitfieldRle(encoded, 1 << 20), trimmed) << input_hex;
    ++cases;
  }
  EXPECT_GT(cases, 1500);
}

// Feed, Handshake, one of every message, an extension, a keep-alive, then a second feed.
std::string OurStream(bool encrypted, const crypto::PublicKey& key, const crypto::PublicKey& second) {
  WireWriterOptions options;
  options.encrypted = encrypted;
  WireWriter writer(options);
  std::string out;
  EXPECT_TRUE(writer.WriteFeed(0, key, &out).ok());
  v1::Handshake handshake;
  handshake.set_id(std::string(32, '\x11'));
  handshake.set_live(true);
  handshake.set_user_data("ud");
  handshake.add_extensions("ext-a");
  handshake.add_extensions("ext-b");
  handshake.set_ack(false);
  EXPECT_TRUE(writer.Write(0, handshake, &out).ok());
  v1::Info info;
  info.set_uploading(true);
  info.set_downloading(false);
  EXPECT_TRUE(writer.Write(0, info, &out).ok());
  v1::Have have;
  have.set_start(0);
  have.set_length(1048576);
  have.set_bitfield(EncodeBitfieldRle("\xf8"));
  EXPECT_TRUE(writer.Write(0, have, &out).ok());
  v1::Unhave unhave;
  unhave.set_start(3);
  EXPECT_TRUE(writer.Write(0, unhave, &out).ok());
  v1::Want want;
  want.set_start(0);
  want.set_length(1048576);
  EXPECT_TRUE(writer.Write(0, want, &out).ok());
  v1::Unwant unwant;
  unwant.set_start(8192);
  unwant.set_length(8192);
  EXPECT_TRUE(writer.Write(0, unwant, &out).ok());
  v1::Request request;
  request.set_index(3);
  request.set_bytes(0);
  request.set_hash(false);
  request.set_nodes(5);
  EXPECT_TRUE(writer.Write(0, request, &out).ok());
  v1::Cancel cancel;
  cancel.set_index(3);
  EXPECT_TRUE(writer.Write(0, cancel, &out).ok());
  v1::Data data;
  data.set_index(3);
  data.set_value("block three");
  v1::Data::Node* node = data.add_nodes();
  node->set_index(6);
  node->set_hash(std::string(32, '\xaa'));
  node->set_size(20);
  data.set_signature(std::string(64, '\xbb'));
  EXPECT_TRUE(writer.Write(0, data, &out).ok());
  EXPECT_TRUE(writer.WriteExtension(0, 1, "ext payload", &out).ok());
  EXPECT_TRUE(writer.WriteKeepAlive(&out).ok());
  EXPECT_TRUE(writer.WriteFeed(1, second, &out).ok());
  v1::Data second_data;
  second_data.set_index(0);
  second_data.set_value("second feed");
  EXPECT_TRUE(writer.Write(1, second_data, &out).ok());
  return out;
}

class ReferenceAcceptsTest : public WireInteropTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ReferenceAcceptsTest, EveryMessageArrivesWithItsValues) {
  const bool encrypted = GetParam();
  const crypto::PublicKey key = crypto::KeyPairFromSeed({1}).public_key;
  const crypto::PublicKey second = crypto::KeyPairFromSeed({2}).public_key;
  RecordedStream stream;
  stream.encrypted = encrypted;
  stream.key = key;
  stream.bytes = OurStream(encrypted, key, second);
  WriteFile(tmp_ / "in.wire", testing::SerializeRecordedStream(stream));
  const std::string out = Node("accept.js", (tmp_ / "in.wire").string() + " " + (tmp_ / "out.wire").string() +
                                                " " + ToHex(crypto::AsView(second)));
  const std::string dk = ToHex(crypto::AsView(crypto::DiscoveryKey(key)));
  const std::string dk2 = ToHex(crypto::AsView(crypto::DiscoveryKey(second)));
  std::vector<std::string> got;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  const std::vector<std::string> want = {
      // Nodes print as hash:index:size (their fields in name order).
      "feed discoveryKey=" + dk,
      "handshake ack=false id=" + std::string(64, '1') + " live=true supports=ext-a,ext-b userData=7564",
      "info channel=0 downloading=false uploading=true",
      "have ack=false bitfield=02f8 channel=0 length=1048576 start=0",
      "unhave channel=0 length=1 start=3",
      "want channel=0 length=1048576 start=0",
      "unwant channel=0 length=8192 start=8192",
      "request bytes=0 channel=0 hash=false index=3 nodes=5",
      "cancel bytes=0 channel=0 hash=false index=3",
      "data channel=0 index=3 nodes=" + std::string(64, 'a') + ":6:20 signature=" + std::string(128, 'b') +
          " value=" + ToHex("block three"),
      "extension channel=0 message=" + ToHex("ext payload") + " name=ext-b",
      "feed discoveryKey=" + dk2,
      "data channel=1 index=0 nodes=- signature=- value=" + ToHex("second feed"),
      "end destroyed=false",
  };
  EXPECT_EQ(got, want);

  // And what the reference sent back decodes here: its Feed, Handshake and second Feed.
  const RecordedStream reply = *testing::ParseRecordedStream(ReadFile(tmp_ / "out.wire"));
  const DecodedStream decoded = testing::DecodeStream(reply);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status;
  ASSERT_EQ(decoded.frames.size(), 3u);
  EXPECT_EQ(decoded.nonce.has_value(), encrypted);
  const v1::Handshake handshake = *DecodeMessage<v1::Handshake>(decoded.frames[1].body);
  EXPECT_EQ(handshake.id(), std::string(32, 'R'));
  EXPECT_TRUE(handshake.live());
  EXPECT_THAT(handshake.extensions(), ::testing::ElementsAre("ext-a", "ext-b"));
  const v1::Feed feed = *DecodeMessage<v1::Feed>(decoded.frames[2].body);
  EXPECT_EQ(decoded.frames[2].channel, 1u);
  EXPECT_EQ(ToHex(feed.discovery_key()), dk2);
  EXPECT_FALSE(feed.has_nonce());
}

INSTANTIATE_TEST_SUITE_P(EncryptedAndPlain, ReferenceAcceptsTest, ::testing::Bool());

}  // namespace
}  // namespace evermirror::wire
