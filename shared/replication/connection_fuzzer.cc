// libFuzzer target for the replication engine: arbitrary bytes from a "peer" into a Connection
// (frame parser, decryption, channels, Have/Want/Request/Data handling, Put verification,
// timers). Input: a recorded stream (shared/wire/testing/recorded_stream.h: flags, the stream's
// key, the bytes one side sent), so recorded real connections are seeds as they are. Flags:
//   bit 0  encrypted             bit 7  bytes after the first frame are plaintext: the harness
//   bit 1  we dial (initiator)          encrypts them (mutations reach the parser as structure)
//   bits 2-6  chunking and clock: how the bytes are cut and how far time jumps between chunks
// Our side carries a writable feed W (fixed key) and a fresh replica of the stream's key (or of
// W, if that is the key). Checks, besides no crash / leak / hang / huge allocation: output stays
// proportional to input, W never changes, every block the replica stored audits clean, equals
// the real block when we know it (seeds recorded from our engine use feed X below), and was
// counted as received.
//
// Seeds: shared/wire/testdata/corpus and fuzz_seeds (npm hypercore 7.7.1 streams), plus streams
// recorded from our own engine, written by running the fuzzer binary with
// EM_CONNECTION_FUZZER_WRITE_SEEDS=<dir> (shared/replication/testdata/fuzz_corpus holds them).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "shared/env/testing/mem_file_system.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/replication/connection.h"
#include "shared/replication/testing_pipe.h"
#include "shared/wire/frame.h"
#include "shared/wire/messages.h"
#include "shared/wire/testing/recorded_stream.h"

namespace evermirror::replication {
namespace {

using wire::testing::RecordedStream;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "connection_fuzzer: property violated: %s\n", what);
  std::abort();
}

crypto::KeyPair KeyPairFromByte(uint8_t b) {
  std::array<uint8_t, crypto::kSeedSize> seed;
  seed.fill(b);
  return crypto::KeyPairFromSeed(seed);
}

std::string BlockContent(char feed, uint64_t i) {
  return absl::StrCat(std::string(1, feed), "-block-", i, std::string((i * 97) % 700, static_cast<char>('a' + i % 26)));
}

// Writable feeds shared by every run (the connection never changes them): W is what our side
// serves; X is the feed whose real content seeds recorded from our engine carry.
struct Feeds {
  env::MemFileSystem fs;
  std::shared_ptr<hypercore::Feed> w;
  std::shared_ptr<hypercore::Feed> x;
  uint64_t w_length = 0;
};

std::shared_ptr<hypercore::Feed> MakeWriter(env::FileSystem* fs, const std::string& dir, uint8_t seed, char name,
                                            uint64_t blocks) {
  auto feed = std::shared_ptr<hypercore::Feed>(hypercore::Feed::Create(fs, dir, KeyPairFromByte(seed)).value());
  // Several batches: several signatures, several roots.
  for (uint64_t i = 0; i < blocks;) {
    std::vector<std::string> batch;
    for (uint64_t n = 0; n < 1 + i % 5 && i < blocks; ++n, ++i) batch.push_back(BlockContent(name, i));
    std::vector<std::string_view> views(batch.begin(), batch.end());
    Check(feed->AppendBatch(views).ok(), "writer append");
  }
  return feed;
}

Feeds& SharedFeeds() {
  static Feeds* feeds = [] {
    auto* f = new Feeds;
    f->w = MakeWriter(&f->fs, "/w", 0x11, 'w', 23);
    f->x = MakeWriter(&f->fs, "/x", 0x22, 'x', 37);
    f->w_length = f->w->length();
    return f;
  }();
  return *feeds;
}

// Bit 7: encrypt what follows the first frame with the key and that Feed's nonce.
void EncryptAfterFirstFrame(RecordedStream* stream) {
  wire::FrameDecoder decoder;
  std::string_view in = stream->bytes;
  wire::Frame frame;
  absl::StatusOr<bool> got = decoder.Next(&in, &frame);
  if (!got.ok() || !*got || frame.kind != wire::FrameKind::kMessage || frame.type != 0) return;
  absl::StatusOr<wire::v1::Feed> feed = wire::DecodeMessage<wire::v1::Feed>(frame.body);
  if (!feed.ok() || !feed->has_nonce()) return;
  crypto::StreamCipher cipher(stream->key, crypto::ToArray<crypto::kNonceSize>(feed->nonce()));
  const size_t offset = stream->bytes.size() - in.size();
  cipher.Xor(reinterpret_cast<uint8_t*>(stream->bytes.data() + offset), in.size());
}

// Our side of the connection: W, and a fresh replica of the stream's key unless that is W's.
struct Side {
  env::MemFileSystem fs;
  env::SimClock clock;
  testing::MapDirectory directory;
  testing::RecordingObserver observer;
  std::shared_ptr<ReplicatedFeed> w;
  std::shared_ptr<ReplicatedFeed> replica;  // null when the stream is W's
};

void SetUpSide(const crypto::PublicKey& key, uint32_t mode, Side* side) {
  side->w = std::make_shared<ReplicatedFeed>(SharedFeeds().w, DownloadMode::kNone);
  side->directory.Add(side->w);
  if (key == SharedFeeds().w->key()) return;
  hypercore::FeedOptions feed_options;
  feed_options.auto_flush = false;
  auto feed = hypercore::Feed::OpenOrCreateReplica(&side->fs, "/replica", key, feed_options);
  Check(feed.ok(), "replica created");
  side->replica = std::make_shared<ReplicatedFeed>(std::shared_ptr<hypercore::Feed>(std::move(*feed)),
                                                   mode & 1 ? DownloadMode::kSparse : DownloadMode::kAll);
  if (mode & 1) side->replica->WantRange(mode % 7, mode % 7 + 9);
  side->directory.Add(side->replica);
}

// Feeds `bytes` in chunks (sizes from a small LCG seeded by the mode); between chunks time may
// jump, so keep-alives, the remote's silence and request timeouts fire. Returns the final
// status; adds what the connection wrote to `*output`.
absl::Status Drive(Connection& connection, env::SimClock& clock, std::string& bytes, uint32_t mode,
                   uint64_t* output) {
  absl::Status status;
  uint32_t lcg = 0x9E3779B9u ^ mode;
  size_t offset = 0;
  while (status.ok() && offset < bytes.size()) {
    lcg = lcg * 1664525u + 1013904223u;
    const size_t chunk = mode < 4 ? bytes.size() : 1 + (lcg >> 8) % (1 + 64 * (mode & 7));
    const size_t n = std::min(chunk, bytes.size() - offset);
    status = connection.OnBytes(bytes.data() + offset, n);
    offset += n;
    if (status.ok() && (mode & 16)) {
      clock.AdvanceBy(absl::Milliseconds((lcg >> 4) % 40000));
      if (clock.Now() >= connection.NextDeadline()) status = connection.Poll();
    }
    *output += connection.output().size();
    connection.output().clear();
  }
  if (status.ok()) status = connection.Poll();
  *output += connection.output().size();
  return status;
}

// What the replica holds must be verified data, and when we know the feed, the real data.
void CheckReplica(const Side& side, const Connection& connection) {
  hypercore::Feed& stored = side.replica->feed();
  uint64_t corrupt = 0;
  Check(stored.Audit(&corrupt).ok() && corrupt == 0, "every stored block matches its tree leaf");
  Check(connection.stats().blocks_in == stored.downloaded(), "stored blocks were counted as received");
  Check(side.observer.stored.size() == stored.downloaded(), "the observer heard of every stored block");
  const Feeds& feeds = SharedFeeds();
  const bool known = stored.key() == feeds.x->key();
  if (known) Check(stored.length() <= feeds.x->length(), "length never beyond what the writer signed");
  for (uint64_t i = 0; i < stored.length(); ++i) {
    if (!stored.Has(i)) continue;
    absl::StatusOr<std::string> block = stored.Get(i);
    Check(block.ok(), "a stored block reads back");
    if (known && *block != feeds.x->Get(i).value()) {
      std::fprintf(stderr, "block %llu: stored %zu bytes, the writer's %zu\n", static_cast<unsigned long long>(i),
                   block->size(), feeds.x->Get(i)->size());
      Check(false, "a stored block is the writer's block");
    }
  }
}

void Run(const uint8_t* data, size_t size) {
  absl::StatusOr<RecordedStream> parsed =
      wire::testing::ParseRecordedStream(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) return;
  RecordedStream stream = std::move(*parsed);
  const uint8_t flags = data[0];
  if ((flags & 0x80) && stream.encrypted) EncryptAfterFirstFrame(&stream);
  const bool initiator = flags & 0x02;
  const uint32_t mode = (flags >> 2) & 31;

  Side side;
  SetUpSide(stream.key, mode, &side);
  ConnectionOptions options;
  options.encrypted = stream.encrypted;
  options.max_inflight = 1 + mode % 16;
  options.nonce = crypto::Nonce{};
  Connection connection(options, &side.directory, &side.observer, &side.clock);
  absl::Status status;
  if (initiator) status = connection.Start(side.replica != nullptr ? side.replica : side.w);
  uint64_t output = connection.output().size();
  connection.output().clear();
  if (status.ok()) status = Drive(connection, side.clock, stream.bytes, mode, &output);

  static const bool verbose = std::getenv("EM_CONNECTION_FUZZER_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "input %zu bytes (%s, %s, mode %u): %s; output %llu bytes; stored %llu blocks\n",
                 stream.bytes.size(), stream.encrypted ? "encrypted" : "plain", initiator ? "dialled" : "accepted",
                 mode, status.ToString().c_str(), static_cast<unsigned long long>(output),
                 static_cast<unsigned long long>(side.replica != nullptr ? side.replica->feed().downloaded() : 0));
  }
  // A 4-byte Request may draw a block (up to ~800 bytes here) and ~2 KiB of proof: allow that
  // per input byte, plus the opening messages.
  Check(output <= 64 * 1024 + 1024 * stream.bytes.size(), "output proportional to input");
  Check(SharedFeeds().w->length() == SharedFeeds().w_length, "the writable feed never changes");
  if (side.replica != nullptr) CheckReplica(side, connection);
}

// --- seed recording (EM_CONNECTION_FUZZER_WRITE_SEEDS=<dir>) ---

// What `who` sent in a whole in-memory exchange, as a recorded stream keyed by `key`.
struct Recorder {
  std::string a_sent, b_sent;
};

void PumpRecording(Connection& a, Connection& b, Recorder* rec) {
  for (int round = 0; round < 100000; ++round) {
    if (a.output().empty() && b.output().empty()) return;
    std::string ab;
    ab.swap(a.output());
    rec->a_sent += ab;
    if (!ab.empty() && !b.OnBytes(ab.data(), ab.size()).ok()) return;
    std::string ba;
    ba.swap(b.output());
    rec->b_sent += ba;
    if (!ba.empty() && !a.OnBytes(ba.data(), ba.size()).ok()) return;
  }
}

void WriteSeed(const std::string& dir, const std::string& name, bool encrypted, const crypto::PublicKey& key,
               std::string bytes, uint8_t extra_flags) {
  RecordedStream stream;
  stream.encrypted = encrypted;
  stream.key = key;
  stream.bytes = std::move(bytes);
  if (extra_flags & 0x80) {  // store the part after the first frame decrypted (the harness re-encrypts)
    EncryptAfterFirstFrame(&stream);
  }
  std::string file = wire::testing::SerializeRecordedStream(stream);
  file[0] = static_cast<char>(static_cast<uint8_t>(file[0]) | extra_flags);
  std::ofstream(dir + "/" + name, std::ios::binary) << file;
}

// Records our engine replicating X (and then W, on a second channel) from a writer to a fresh
// replica, live appends included, in both encryption settings.
void WriteSeeds(const std::string& dir) {
  for (const bool encrypted : {true, false}) {
    env::MemFileSystem fs;
    env::SimClock clock;
    auto x = MakeWriter(&fs, "/x", 0x22, 'x', 30);  // the first 30 of the shared X's 37 blocks
    auto w = MakeWriter(&fs, "/w", 0x11, 'w', 23);
    testing::MapDirectory writer_dir, reader_dir;
    writer_dir.Add(std::make_shared<ReplicatedFeed>(x, DownloadMode::kNone));
    writer_dir.Add(std::make_shared<ReplicatedFeed>(w, DownloadMode::kNone));
    auto rx = std::make_shared<ReplicatedFeed>(
        std::shared_ptr<hypercore::Feed>(hypercore::Feed::OpenOrCreateReplica(&fs, "/rx", x->key()).value()),
        DownloadMode::kAll);
    auto rw = std::make_shared<ReplicatedFeed>(
        std::shared_ptr<hypercore::Feed>(hypercore::Feed::OpenOrCreateReplica(&fs, "/rw", w->key()).value()),
        DownloadMode::kAll);
    reader_dir.Add(rx);
    reader_dir.Add(rw);
    ConnectionOptions options;
    options.encrypted = encrypted;
    options.nonce = crypto::Nonce{};
    testing::RecordingObserver obs_a, obs_b;
    Connection writer(options, &writer_dir, &obs_a, &clock);
    Connection reader(options, &reader_dir, &obs_b, &clock);
    Recorder rec;
    Check(writer.Start(writer_dir.Find(crypto::AsView(x->discovery_key()))).ok(), "seed: start");
    Check(writer.OpenFeed(writer_dir.Find(crypto::AsView(w->discovery_key()))).ok(), "seed: open W");
    PumpRecording(writer, reader, &rec);
    // Live: seven more blocks of X, announced while connected.
    for (uint64_t i = 30; i < 37; ++i) Check(x->Append(BlockContent('x', i)).ok(), "seed: live append");
    Check(writer.OnLocalBlocks(*writer_dir.Find(crypto::AsView(x->discovery_key())), 30, 7).ok(), "seed: live");
    PumpRecording(writer, reader, &rec);
    Check(rx->feed().downloaded() == 37 && rw->feed().downloaded() == 23, "seed: replicated");
    const std::string tag = encrypted ? "encrypted" : "plain";
    // The writer's stream: our replica of X verifies and stores it (acceptor), or we dial (initiator).
    WriteSeed(dir, "engine_writer_" + tag + ".wire", encrypted, x->key(), rec.a_sent, 0);
    WriteSeed(dir, "engine_writer_" + tag + ".dial.wire", encrypted, x->key(), rec.a_sent, 0x02);
    // The reader's stream: Wants and Requests for X (we hold a replica) and W (we serve it).
    WriteSeed(dir, "engine_reader_" + tag + ".wire", encrypted, x->key(), rec.b_sent, 0x02);
    if (encrypted) {
      WriteSeed(dir, "engine_writer_encrypted.plainbody.wire", true, x->key(), rec.a_sent, 0x80);
      WriteSeed(dir, "engine_reader_encrypted.plainbody.wire", true, x->key(), rec.b_sent, 0x82);
    }
  }
}

}  // namespace
}  // namespace evermirror::replication

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("EM_CONNECTION_FUZZER_WRITE_SEEDS")) {
    evermirror::replication::WriteSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  evermirror::replication::Run(data, size);
  return 0;
}
