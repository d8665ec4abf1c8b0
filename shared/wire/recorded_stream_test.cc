// Streams recorded from real hypercore 7.7.1 peers (tests/wire_interop/record.js) decode
// completely, in any chunking and with the key supplied at any point, and re-encode byte for byte.
#include "shared/wire/testing/recorded_stream.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/wire/bitfield_rle.h"
#include "shared/wire/messages.h"

namespace evermirror::wire::testing {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream out;
  out << file.rdbuf();
  return out.str();
}

std::map<std::string, RecordedStream> LoadCorpus() {
  std::map<std::string, RecordedStream> streams;
  for (const auto& entry : std::filesystem::directory_iterator(EM_WIRE_TESTDATA_DIR "/corpus")) {
    absl::StatusOr<RecordedStream> stream = ParseRecordedStream(ReadFile(entry.path()));
    EXPECT_TRUE(stream.ok()) << entry.path();
    if (stream.ok()) streams[entry.path().stem().string()] = *stream;
  }
  return streams;
}

// scenario -> block values, from testdata/recorded_blocks.txt.
std::map<std::string, std::set<std::string>> LoadBlocks() {
  std::map<std::string, std::set<std::string>> blocks;
  std::ifstream file(EM_WIRE_TESTDATA_DIR "/recorded_blocks.txt");
  std::string scenario, index, hex;
  while (file >> scenario >> index >> hex) blocks[scenario].insert(*FromHex(hex));
  return blocks;
}

TEST(RecordedStreamTest, EveryRecordedStreamDecodesCompletelyAndReencodesExactly) {
  const auto streams = LoadCorpus();
  ASSERT_EQ(streams.size(), 8u);
  for (const auto& [name, stream] : streams) {
    SCOPED_TRACE(name);
    const DecodedStream decoded = DecodeStream(stream);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status;
    EXPECT_TRUE(decoded.at_frame_boundary);
    ASSERT_GE(decoded.frames.size(), 2u);
    const v1::Feed feed = *DecodeMessage<v1::Feed>(decoded.frames[0].body);
    EXPECT_EQ(feed.discovery_key(), crypto::AsString(crypto::DiscoveryKey(stream.key)));
    EXPECT_EQ(feed.has_nonce(), stream.encrypted);
    EXPECT_EQ(decoded.frames[1].type, static_cast<uint8_t>(MessageType::kHandshake));
    absl::StatusOr<std::string> again = ReencodeStream(stream, decoded);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(ToHex(*again), ToHex(stream.bytes));
  }
}

TEST(RecordedStreamTest, ChunkingAndKeyTimingDoNotChangeTheFrames) {
  for (const auto& [name, stream] : LoadCorpus()) {
    SCOPED_TRACE(name);
    const DecodedStream whole = DecodeStream(stream);
    for (KeyTiming timing : {KeyTiming::kUpFront, KeyTiming::kInHandler, KeyTiming::kLater}) {
      for (uint64_t seed : {1, 2, 3}) {
        for (size_t chunk_max : {1, 7, 300}) {
          DecodeOptions options;
          options.chunk_seed = seed;
          options.chunk_max = chunk_max;
          options.key_timing = timing;
          const DecodedStream chunked = DecodeStream(stream, options);
          ASSERT_TRUE(chunked.status.ok()) << chunked.status;
          ASSERT_EQ(chunked.frames.size(), whole.frames.size());
          for (size_t i = 0; i < whole.frames.size(); ++i) {
            EXPECT_EQ(chunked.frames[i].payload, whole.frames[i].payload);
          }
        }
      }
    }
  }
}

TEST(RecordedStreamTest, ContentMatchesWhatTheReferencePeersExchanged) {
  const auto streams = LoadCorpus();
  const auto blocks = LoadBlocks();
  for (const std::string scenario : {"live_encrypted", "live_plain", "oneshot_encrypted", "idle_encrypted"}) {
    SCOPED_TRACE(scenario);
    std::set<std::string> values;
    std::vector<std::string> extensions;
    bool have_bitfield = false;
    for (const OwnedFrame& frame : DecodeStream(streams.at(scenario + ".a2b")).frames) {
      if (frame.type == static_cast<uint8_t>(MessageType::kData)) {
        const v1::Data data = *DecodeMessage<v1::Data>(frame.body);
        values.insert(data.value());
      } else if (frame.type == static_cast<uint8_t>(MessageType::kHave)) {
        const v1::Have have = *DecodeMessage<v1::Have>(frame.body);
        if (have.has_bitfield()) {
          have_bitfield = true;
          EXPECT_TRUE(BitfieldGet(*DecodeBitfieldRle(have.bitfield(), 1 << 20), 0));
        }
      } else if (frame.type == kExtensionType) {
        const Extension ext = *DecodeExtension(frame.body);
        extensions.push_back(absl::StrCat(ext.index, ":", std::string(ext.payload)));
      }
    }
    EXPECT_EQ(values, blocks.at(scenario));
    EXPECT_TRUE(have_bitfield);
    if (scenario.starts_with("live")) {
      // A's sorted extensions are [ext-a, ext-b]: "ext-b" is index 1.
      EXPECT_EQ(extensions, std::vector<std::string>{"1:hello from a"});
    }
  }
}

TEST(RecordedStreamTest, IdleReferencePeersSendEncryptedKeepAlives) {
  const auto streams = LoadCorpus();
  for (const std::string name : {"idle_encrypted.a2b", "idle_encrypted.b2a"}) {
    SCOPED_TRACE(name);
    int keep_alives = 0;
    for (const OwnedFrame& frame : DecodeStream(streams.at(name)).frames) {
      if (frame.kind == FrameKind::kKeepAlive) ++keep_alives;
    }
    EXPECT_GE(keep_alives, 1);
  }
}

}  // namespace
}  // namespace evermirror::wire::testing
