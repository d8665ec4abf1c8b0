#include "shared/replication/connection.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/replication/testing_pipe.h"
#include "shared/wire/messages.h"
#include "shared/wire/wire_codec.h"

namespace evermirror::replication {
namespace {

using testing::MapDirectory;
using testing::Pump;
using testing::RecordingObserver;

class ConnectionTest : public ::testing::TestWithParam<bool /*encrypted*/> {
 protected:
  std::shared_ptr<ReplicatedFeed> Writer(const std::string& dir, int blocks) {
    auto feed = std::shared_ptr<hypercore::Feed>(hypercore::Feed::Create(&fs_, dir, crypto::GenerateKeyPair()).value());
    for (int i = 0; i < blocks; ++i) EXPECT_TRUE(feed->Append(absl::StrCat(dir, "-block-", i)).ok());
    auto r = std::make_shared<ReplicatedFeed>(feed, DownloadMode::kNone);
    writer_dir_.Add(r);
    return r;
  }
  std::shared_ptr<ReplicatedFeed> Replica(const std::string& dir, const ReplicatedFeed& of, DownloadMode mode) {
    hypercore::FeedOptions options;
    options.auto_flush = false;
    auto feed = std::shared_ptr<hypercore::Feed>(
        hypercore::Feed::OpenOrCreateReplica(&fs_, dir, of.key(), options).value());
    auto r = std::make_shared<ReplicatedFeed>(feed, mode);
    reader_dir_.Add(r);
    return r;
  }
  ConnectionOptions Options() {
    ConnectionOptions o;
    o.encrypted = GetParam();
    return o;
  }
  std::unique_ptr<Connection> Dialer() {
    return std::make_unique<Connection>(Options(), &writer_dir_, &writer_obs_, &clock_);
  }
  std::unique_ptr<Connection> Acceptor() {
    return std::make_unique<Connection>(Options(), &reader_dir_, &reader_obs_, &clock_);
  }

  env::MemFileSystem fs_;
  env::SimClock clock_;
  MapDirectory writer_dir_, reader_dir_;
  RecordingObserver writer_obs_, reader_obs_;
};

TEST_P(ConnectionTest, ReplicaDownloadsEverythingAndVerifiesIt) {
  auto writer = Writer("w", 300);
  auto replica = Replica("r", *writer, DownloadMode::kAll);
  auto a = Dialer();
  auto b = Acceptor();
  ASSERT_TRUE(a->Start(writer).ok());
  auto r = Pump(*a, *b);
  ASSERT_TRUE(r.a.ok()) << r.a;
  ASSERT_TRUE(r.b.ok()) << r.b;
  EXPECT_EQ(replica->feed().downloaded(), 300u);
  EXPECT_EQ(replica->feed().length(), 300u);
  EXPECT_EQ(replica->feed().Get(299).value(), "w-block-299");
  EXPECT_EQ(reader_obs_.stored.size(), 300u);
  EXPECT_EQ(b->stats().blocks_in, 300u);
  EXPECT_EQ(a->stats().blocks_out, 300u);
  EXPECT_TRUE(a->handshake_received() && b->handshake_received());
  EXPECT_EQ(a->open_channels(), 1u);
}

TEST_P(ConnectionTest, LiveAppendsReachTheReplicaWithoutPolling) {
  auto writer = Writer("w", 10);
  auto replica = Replica("r", *writer, DownloadMode::kAll);
  auto a = Dialer();
  auto b = Acceptor();
  ASSERT_TRUE(a->Start(writer).ok());
  ASSERT_TRUE(Pump(*a, *b).b.ok());
  ASSERT_EQ(replica->feed().downloaded(), 10u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->feed().Append(absl::StrCat("live-", i)).ok());
  ASSERT_TRUE(a->OnLocalBlocks(*writer, 10, 5).ok());
  auto r = Pump(*a, *b);
  ASSERT_TRUE(r.a.ok() && r.b.ok()) << r.a << r.b;
  EXPECT_EQ(replica->feed().length(), 15u);
  EXPECT_EQ(replica->feed().Get(14).value(), "live-4");
}

TEST_P(ConnectionTest, SeveralFeedsShareOneConnection) {
  std::vector<std::shared_ptr<ReplicatedFeed>> writers, replicas;
  for (int i = 0; i < 3; ++i) {
    writers.push_back(Writer(absl::StrCat("w", i), 20 + i));
    replicas.push_back(Replica(absl::StrCat("r", i), *writers.back(), DownloadMode::kAll));
  }
  auto a = Dialer();
  auto b = Acceptor();
  ASSERT_TRUE(a->Start(writers[0]).ok());
  ASSERT_TRUE(a->OpenFeed(writers[1]).ok());
  ASSERT_TRUE(a->OpenFeed(writers[2]).ok());
  auto r = Pump(*a, *b);
  ASSERT_TRUE(r.a.ok() && r.b.ok()) << r.a << r.b;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(replicas[i]->feed().downloaded(), 20u + i) << i;
  EXPECT_EQ(b->open_channels(), 3u);
}

// A hyperdrive writer opens its content feed right after the handshake; the reader learns the
// content key only from metadata block 0 and opens the feed later. The writer's Feed for it
// came once, early: the reader pairs with that channel when it opens the feed.
TEST_P(ConnectionTest, AFeedThePeerOpenedBeforeWeCarriedItPairsWhenWeOpenIt) {
  auto metadata = Writer("meta", 3);
  auto content = Writer("content", 40);
  auto metadata_replica = Replica("rmeta", *metadata, DownloadMode::kAll);
  auto a = Dialer();
  auto b = Acceptor();
  ASSERT_TRUE(a->Start(metadata).ok());
  ASSERT_TRUE(a->OpenFeed(content).ok());
  hypercore::FeedOptions options;
  options.auto_flush = false;
  std::shared_ptr<hypercore::Feed> content_feed =
      hypercore::Feed::OpenOrCreateReplica(&fs_, "rcontent", content->key(), options).value();
  // Not in the reader's directory yet: its key is still unknown there.
  auto content_replica = std::make_shared<ReplicatedFeed>(content_feed, DownloadMode::kAll);
  auto r = Pump(*a, *b);
  ASSERT_TRUE(r.a.ok() && r.b.ok()) << r.a << r.b;
  ASSERT_EQ(metadata_replica->feed().downloaded(), 3u);
  EXPECT_EQ(b->open_channels(), 1u);

  reader_dir_.Add(content_replica);
  ASSERT_TRUE(b->OpenFeed(content_replica).ok());
  r = Pump(*a, *b);
  ASSERT_TRUE(r.a.ok() && r.b.ok()) << r.a << r.b;
  EXPECT_EQ(content_replica->feed().downloaded(), 40u);
  EXPECT_EQ(b->open_channels(), 2u);
  EXPECT_EQ(a->open_channels(), 2u);
}

TEST_P(ConnectionTest, SparseReplicaFetchesOnlyWantedRanges) {
  auto writer = Writer("w", 100);
  auto replica = Replica("r", *writer, DownloadMode::kSparse);
  replica->WantRange(10, 20);
  replica->WantRange(90, 95);
  auto a = Dialer();
  auto b = Acceptor();
  ASSERT_TRUE(a->Start(writer).ok());
  ASSERT_TRUE(Pump(*a, *b).b.ok());
  EXPECT_EQ(replica->feed().downloaded(), 15u);
  EXPECT_TRUE(replica->feed().Has(10) && replica->feed().Has(94));
  EXPECT_FALSE(replica->feed().Has(20));
  replica->WantRange(50, 51);
  ASSERT_TRUE(b->Update().ok());
  ASSERT_TRUE(Pump(*a, *b).b.ok());
  EXPECT_TRUE(replica->feed().Has(50));
  EXPECT_EQ(replica->feed().downloaded(), 16u);
}

TEST_P(ConnectionTest, DownloadResumesOnANewConnectionAfterADrop) {
  auto writer = Writer("w", 500);
  auto replica = Replica("r", *writer, DownloadMode::kAll);
  {
    auto a = Dialer();
    auto b = Acceptor();
    ASSERT_TRUE(a->Start(writer).ok());
    Pump(*a, *b, /*max_rounds=*/6);  // cut off mid-transfer
  }
  const uint64_t partial = replica->feed().downloaded();
  EXPECT_GT(partial, 0u);
  EXPECT_LT(partial, 500u);
  auto a = Dialer();
  auto b = Acceptor();
  ASSERT_TRUE(a->Start(writer).ok());
  ASSERT_TRUE(Pump(*a, *b).b.ok());
  EXPECT_EQ(replica->feed().downloaded(), 500u);
}

TEST_P(ConnectionTest, AcceptorThatDoesNotCarryTheFeedEndsTheConnection) {
  auto writer = Writer("w", 1);
  auto a = Dialer();
  auto b = Acceptor();  // reader_dir_ is empty
  ASSERT_TRUE(a->Start(writer).ok());
  auto r = Pump(*a, *b);
  EXPECT_EQ(r.b.code(), absl::StatusCode::kNotFound);
}

TEST_P(ConnectionTest, SilentPeerTimesOutRequests) {
  auto writer = Writer("w", 50);
  auto replica = Replica("r", *writer, DownloadMode::kAll);
  auto a = Dialer();
  auto b = Acceptor();
  ASSERT_TRUE(a->Start(writer).ok());
  // Deliver the writer's opening only; the requests the replica sends never get answered.
  Pump(*a, *b, /*max_rounds=*/2);
  b->output().clear();
  clock_.AdvanceBy(absl::Seconds(31));
  const absl::Status status = b->Poll();
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.code() == absl::StatusCode::kDeadlineExceeded) << status;
}

INSTANTIATE_TEST_SUITE_P(Encryption, ConnectionTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Encrypted" : "Plain"; });

// A hand-driven peer that lies: it claims blocks and answers requests with wrong data.
class MaliciousPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_ = std::shared_ptr<hypercore::Feed>(hypercore::Feed::Create(&fs_, "w", crypto::GenerateKeyPair()).value());
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(writer_->Append(absl::StrCat("b", i)).ok());
    replica_ = std::make_shared<ReplicatedFeed>(
        std::shared_ptr<hypercore::Feed>(hypercore::Feed::OpenOrCreateReplica(&fs_, "r", writer_->key()).value()),
        DownloadMode::kAll);
    dir_.Add(replica_);
    ConnectionOptions options;
    options.encrypted = false;
    conn_ = std::make_unique<Connection>(options, &dir_, &obs_, &clock_);
    wire::WireCodecOptions codec_options;
    codec_options.encrypted = false;
    peer_ = std::make_unique<wire::WireCodec>(codec_options, &clock_);
  }

  // Sends what the peer wrote into `out_` to the connection under test.
  absl::Status Deliver() {
    std::string bytes;
    bytes.swap(out_);
    return conn_->OnBytes(bytes.data(), bytes.size());
  }

  absl::Status OpenAndAnnounce() {
    EXPECT_TRUE(peer_->WriteFeed(0, writer_->key(), &out_).ok());
    wire::v1::Handshake hs;
    hs.set_id(std::string(32, 'p'));
    EXPECT_TRUE(peer_->Write(0, hs, &out_).ok());
    wire::v1::Have have;
    have.set_start(0);
    have.set_length(8);
    EXPECT_TRUE(peer_->Write(0, have, &out_).ok());
    return Deliver();
  }

  wire::v1::Data RealData(uint64_t index) {
    hypercore::RemoteTree remote;
    auto proof = writer_->ProofFor(index, 0, false, &remote).value();
    wire::v1::Data data;
    data.set_index(index);
    data.set_value(writer_->Get(index).value());
    for (const auto& n : proof.nodes) {
      auto* node = data.add_nodes();
      node->set_index(n.index);
      node->set_hash(std::string(crypto::AsView(n.hash)));
      node->set_size(n.size);
    }
    if (proof.signature) data.set_signature(std::string(crypto::AsView(*proof.signature)));
    return data;
  }

  env::MemFileSystem fs_;
  env::SimClock clock_;
  MapDirectory dir_;
  RecordingObserver obs_;
  std::shared_ptr<hypercore::Feed> writer_;
  std::shared_ptr<ReplicatedFeed> replica_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<wire::WireCodec> peer_;
  std::string out_;
};

TEST_F(MaliciousPeerTest, WrongBlockContentEndsTheConnectionAndStoresNothing) {
  ASSERT_TRUE(OpenAndAnnounce().ok());
  wire::v1::Data data = RealData(0);
  data.set_value("forged");
  ASSERT_TRUE(peer_->Write(0, data, &out_).ok());
  EXPECT_EQ(Deliver().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(replica_->feed().downloaded(), 0u);
  EXPECT_EQ(replica_->feed().stats().verify_failures, 1u);
}

TEST_F(MaliciousPeerTest, ForgedSignatureEndsTheConnection) {
  ASSERT_TRUE(OpenAndAnnounce().ok());
  wire::v1::Data data = RealData(0);
  data.set_signature(std::string(64, 'x'));
  ASSERT_TRUE(peer_->Write(0, data, &out_).ok());
  EXPECT_EQ(Deliver().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(replica_->feed().downloaded(), 0u);
}

TEST_F(MaliciousPeerTest, UnrequestedDataIsIgnoredAndHonestDataStillLands) {
  ASSERT_TRUE(OpenAndAnnounce().ok());
  ASSERT_TRUE(peer_->Write(0, RealData(7), &out_).ok());  // we requested 0..7? all are in flight
  ASSERT_TRUE(Deliver().ok());
  wire::v1::Data unrequested = RealData(3);
  unrequested.set_index(100);
  ASSERT_TRUE(peer_->Write(0, unrequested, &out_).ok());
  ASSERT_TRUE(Deliver().ok());
  EXPECT_GT(conn_->stats().ignored_messages, 0u);
  EXPECT_TRUE(replica_->feed().Has(7));
}

TEST_F(MaliciousPeerTest, MessageOnAChannelNeverOpenedEndsTheConnection) {
  ASSERT_TRUE(OpenAndAnnounce().ok());
  wire::v1::Have have;
  have.set_start(0);
  ASSERT_TRUE(peer_->Write(5, have, &out_).ok());
  EXPECT_EQ(Deliver().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MaliciousPeerTest, GarbageAndOversizedFramesEndTheConnection) {
  std::string garbage = "\xff\xff\xff\xff\xff\x01";  // a length varint past 8 MiB
  EXPECT_FALSE(conn_->OnBytes(garbage.data(), garbage.size()).ok());
  ConnectionOptions options;
  options.encrypted = false;
  Connection fresh(options, &dir_, &obs_, &clock_);
  const std::string not_a_feed("\x03\x03\x08\x00", 4);  // a Have (channel 0) before any Feed
  std::string bytes = not_a_feed;
  EXPECT_FALSE(fresh.OnBytes(bytes.data(), bytes.size()).ok());
}

TEST_F(MaliciousPeerTest, HaveClaimingAbsurdRangesIsRefusedWithoutExhaustingMemory) {
  ASSERT_TRUE(OpenAndAnnounce().ok());
  wire::v1::Have have;
  have.set_start(uint64_t{1} << 40);
  have.set_length(uint64_t{1} << 31);
  ASSERT_TRUE(peer_->Write(0, have, &out_).ok());
  EXPECT_EQ(Deliver().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace evermirror::replication
