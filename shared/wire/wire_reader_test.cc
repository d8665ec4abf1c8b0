#include "shared/wire/wire_reader.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shared/env/random.h"
#include "shared/wire/messages.h"
#include "shared/wire/wire_writer.h"

namespace evermirror::wire {
namespace {

crypto::PublicKey TestKey() { return crypto::KeyPairFromSeed({7}).public_key; }

WireReaderOptions ReaderOptions(bool encrypted, std::optional<crypto::PublicKey> key) {
  WireReaderOptions options;
  options.encrypted = encrypted;
  options.key = key;
  return options;
}

WireWriterOptions WriterOptions(bool encrypted) {
  WireWriterOptions options;
  options.encrypted = encrypted;
  return options;
}

struct Seen {
  FrameKind kind;
  uint64_t channel;
  uint8_t type;
  std::string body;
};

// A stream as a peer sends it: Feed, Handshake, Want, Request, a Data, an extension, a keep-alive.
std::string SampleStream(bool encrypted, std::vector<std::string>* bodies = nullptr) {
  WireWriter writer(WriterOptions(encrypted));
  std::string out;
  EXPECT_TRUE(writer.WriteFeed(0, TestKey(), &out).ok());
  v1::Handshake handshake;
  handshake.set_id(std::string(32, 'p'));
  handshake.set_live(true);
  handshake.add_extensions("ext-a");
  v1::Want want;
  want.set_start(0);
  want.set_length(1048576);
  v1::Request request;
  request.set_index(3);
  request.set_nodes(0);
  v1::Data data;
  data.set_index(3);
  data.set_value(std::string(70000, 'v'));
  EXPECT_TRUE(writer.Write(0, handshake, &out).ok());
  EXPECT_TRUE(writer.Write(0, want, &out).ok());
  EXPECT_TRUE(writer.Write(0, request, &out).ok());
  EXPECT_TRUE(writer.Write(0, data, &out).ok());
  EXPECT_TRUE(writer.WriteExtension(0, 0, "ext payload", &out).ok());
  EXPECT_TRUE(writer.WriteKeepAlive(&out).ok());
  if (bodies) {
    *bodies = {"", handshake.SerializeAsString(), want.SerializeAsString(), request.SerializeAsString(),
               data.SerializeAsString(), std::string("\x00", 1) + "ext payload", ""};
  }
  return out;
}

absl::Status ConsumeAll(WireReader& reader, std::string bytes, std::vector<Seen>* seen, size_t chunk) {
  auto on_frame = [&](const Frame& f) {
    seen->push_back({f.kind, f.channel, f.type, std::string(f.body)});
    return absl::OkStatus();
  };
  for (size_t pos = 0; pos < bytes.size(); pos += chunk) {
    absl::Status s = reader.Consume(bytes.data() + pos, std::min(chunk, bytes.size() - pos), on_frame);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void ExpectSample(const std::vector<Seen>& seen, const std::vector<std::string>& bodies) {
  ASSERT_EQ(seen.size(), 7u);
  const uint8_t types[] = {0, 1, 5, 7, 9, 15, 0};
  for (size_t i = 1; i < 6; ++i) {
    EXPECT_EQ(seen[i].kind, FrameKind::kMessage);
    EXPECT_EQ(seen[i].type, types[i]);
    EXPECT_EQ(seen[i].body, bodies[i]) << i;
  }
  EXPECT_EQ(seen[6].kind, FrameKind::kKeepAlive);
}

TEST(WireReaderTest, DecryptsWithAKnownKeyInAnyChunking) {
  std::vector<std::string> bodies;
  const std::string stream = SampleStream(true, &bodies);
  for (size_t chunk : {stream.size(), size_t{1}, size_t{5}, size_t{4096}}) {
    WireReader reader(ReaderOptions(true, TestKey()));
    std::vector<Seen> seen;
    ASSERT_TRUE(ConsumeAll(reader, stream, &seen, chunk).ok()) << chunk;
    ExpectSample(seen, bodies);
    EXPECT_TRUE(reader.at_frame_boundary());
    EXPECT_EQ(reader.bytes_consumed(), stream.size());
  }
}

TEST(WireReaderTest, PlainStreams) {
  std::vector<std::string> bodies;
  const std::string stream = SampleStream(false, &bodies);
  WireReader reader(ReaderOptions(false, std::nullopt));
  std::vector<Seen> seen;
  ASSERT_TRUE(ConsumeAll(reader, stream, &seen, 3).ok());
  ExpectSample(seen, bodies);
  EXPECT_EQ(reader.remote_discovery_key(), crypto::AsString(crypto::DiscoveryKey(TestKey())));
  EXPECT_FALSE(reader.remote_nonce().has_value());
}

TEST(WireReaderTest, WaitsForTheKeyThenResumes) {
  std::vector<std::string> bodies;
  const std::string stream = SampleStream(true, &bodies);
  WireReader reader;
  std::vector<Seen> seen;
  ASSERT_TRUE(ConsumeAll(reader, stream, &seen, 1000).ok());
  ASSERT_TRUE(reader.needs_key());
  ASSERT_EQ(seen.size(), 1u);  // only the Feed
  EXPECT_EQ(reader.remote_discovery_key(), crypto::AsString(crypto::DiscoveryKey(TestKey())));
  EXPECT_FALSE(reader.at_frame_boundary());
  auto on_frame = [&](const Frame& f) {
    seen.push_back({f.kind, f.channel, f.type, std::string(f.body)});
    return absl::OkStatus();
  };
  ASSERT_TRUE(reader.Resume(on_frame).ok());  // still no key: nothing happens
  EXPECT_EQ(seen.size(), 1u);
  ASSERT_TRUE(reader.SetKey(TestKey()).ok());
  ASSERT_TRUE(reader.Resume(on_frame).ok());
  ExpectSample(seen, bodies);
  EXPECT_TRUE(reader.at_frame_boundary());
}

TEST(WireReaderTest, BoundsWhatItKeepsWhileTheKeyIsMissing) {
  std::string stream = SampleStream(true);
  WireReader reader;
  auto ignore = [](const Frame&) { return absl::OkStatus(); };
  ASSERT_TRUE(reader.Consume(stream.data(), stream.size(), ignore).ok());
  ASSERT_TRUE(reader.needs_key());
  std::string more(1 << 20, 'x');
  absl::Status status;
  for (int i = 0; i < 40 && status.ok(); ++i) status = reader.Consume(more.data(), more.size(), ignore);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
}

TEST(WireReaderTest, KeySetWhileHandlingTheFirstFeedContinuesInTheSameCall) {
  std::vector<std::string> bodies;
  std::string stream = SampleStream(true, &bodies);
  WireReader reader;
  std::vector<Seen> seen;
  auto on_frame = [&](const Frame& f) {
    seen.push_back({f.kind, f.channel, f.type, std::string(f.body)});
    if (reader.needs_key()) return reader.SetKey(TestKey());
    return absl::OkStatus();
  };
  ASSERT_TRUE(reader.Consume(stream.data(), stream.size(), on_frame).ok());
  ExpectSample(seen, bodies);
}

TEST(WireReaderTest, AKeyForAnotherFeedIsRefused) {
  const std::string stream = SampleStream(true);
  WireReader known(ReaderOptions(true, crypto::KeyPairFromSeed({9}).public_key));
  std::vector<Seen> seen;
  EXPECT_EQ(ConsumeAll(known, stream, &seen, stream.size()).code(), absl::StatusCode::kInvalidArgument);

  WireReader later;
  ASSERT_TRUE(ConsumeAll(later, stream, &seen, stream.size()).ok());
  EXPECT_EQ(later.SetKey(crypto::KeyPairFromSeed({9}).public_key).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(later.status().ok());
}

TEST(WireReaderTest, EncryptedReaderNeedsANonce) {
  const std::string stream = SampleStream(false);
  WireReader reader(ReaderOptions(true, TestKey()));
  std::vector<Seen> seen;
  absl::Status status = ConsumeAll(reader, stream, &seen, stream.size());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("nonce"), std::string_view::npos);
}

TEST(WireReaderTest, FirstMessageMustBeAFeed) {
  std::string stream;
  stream += std::string("\x00", 1);  // keep-alives and header-only frames may come first
  stream += "\x01\x02";
  stream += "\x03\x02\x08\x01";  // Info on channel 0
  for (bool encrypted : {true, false}) {
    WireReader reader(ReaderOptions(encrypted, std::nullopt));
    std::vector<Seen> seen;
    EXPECT_EQ(ConsumeAll(reader, stream, &seen, stream.size()).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(seen.size(), 2u);
  }
}

TEST(WireReaderTest, GarbageCiphertextGivesAClearStatus) {
  WireWriter writer;
  std::string stream;
  ASSERT_TRUE(writer.WriteFeed(0, TestKey(), &stream).ok());
  WireReader reader(ReaderOptions(true, TestKey()));
  auto ignore = [](const Frame&) { return absl::OkStatus(); };
  ASSERT_TRUE(reader.Consume(stream.data(), stream.size(), ignore).ok());
  // Random bytes decrypt to random frames: sooner or later (at most one 8 MiB frame later) a
  // length, header or channel is out of bounds.
  env::SeededRandom random(42);
  std::string garbage(64 * 1024, '\0');
  absl::Status status;
  size_t fed = 0;
  while (status.ok() && fed < (20u << 20)) {
    random.Fill(garbage.data(), garbage.size());
    status = reader.Consume(garbage.data(), garbage.size(), ignore);
    fed += garbage.size();
  }
  EXPECT_TRUE(status.code() == absl::StatusCode::kInvalidArgument ||
              status.code() == absl::StatusCode::kResourceExhausted)
      << status;
  // Sticky.
  char more[1] = {0};
  EXPECT_EQ(reader.Consume(more, 1, ignore), status);
}

TEST(WireReaderTest, HandlerErrorsStopTheReader) {
  const std::string stream = SampleStream(true);
  WireReader reader(ReaderOptions(true, TestKey()));
  std::string copy = stream;
  int calls = 0;
  auto on_frame = [&](const Frame&) {
    return ++calls == 2 ? absl::AbortedError("engine says no") : absl::OkStatus();
  };
  EXPECT_EQ(reader.Consume(copy.data(), copy.size(), on_frame).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kAborted);
}

TEST(WireReaderTest, SecondDifferentKeyIsRefused) {
  WireReader reader;
  ASSERT_TRUE(reader.SetKey(TestKey()).ok());
  EXPECT_TRUE(reader.SetKey(TestKey()).ok());
  EXPECT_EQ(reader.SetKey(crypto::KeyPairFromSeed({9}).public_key).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace evermirror::wire
