#include "shared/wire/wire_codec.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/wire/messages.h"

namespace evermirror::wire {
namespace {

crypto::PublicKey TestKey() { return crypto::KeyPairFromSeed({7}).public_key; }

// Two codecs joined back to back: a writer that opens the feed, a passive side that learns the
// key from the remote's discovery key, as a seeding server does.
class WireCodecTest : public ::testing::Test {
 protected:
  absl::Status Deliver(WireCodec& to, std::string* bytes, std::vector<Frame>* frames_kinds,
                       std::string* reply) {
    auto on_frame = [&](const Frame& frame) -> absl::Status {
      frames_kinds->push_back(Frame{frame.kind, frame.channel, frame.type, {}, {}});
      if (to.needs_key()) {
        EXPECT_EQ(to.remote_discovery_key(), crypto::AsString(crypto::DiscoveryKey(TestKey())));
        return to.WriteFeed(0, TestKey(), reply);
      }
      return absl::OkStatus();
    };
    absl::Status status = to.Receive(bytes->data(), bytes->size(), on_frame);
    bytes->clear();
    return status;
  }

  env::SimClock clock_;
};

TEST_F(WireCodecTest, PassiveSideOpensTheFeedFromTheRemoteDiscoveryKey) {
  WireCodec active(WireCodecOptions{}, &clock_);
  WireCodec passive(WireCodecOptions{}, &clock_);
  std::string a_to_p, p_to_a;
  ASSERT_TRUE(active.WriteFeed(0, TestKey(), &a_to_p).ok());
  v1::Want want;
  want.set_start(0);
  ASSERT_TRUE(active.Write(0, want, &a_to_p).ok());
  std::vector<Frame> at_passive, at_active;
  ASSERT_TRUE(Deliver(passive, &a_to_p, &at_passive, &p_to_a).ok());
  ASSERT_EQ(at_passive.size(), 2u);
  EXPECT_EQ(at_passive[1].type, 5);
  v1::Have have;
  have.set_start(4);
  ASSERT_TRUE(passive.Write(0, have, &p_to_a).ok());
  ASSERT_TRUE(Deliver(active, &p_to_a, &at_active, &a_to_p).ok());
  ASSERT_EQ(at_active.size(), 2u);
  EXPECT_EQ(at_active[0].type, 0);
  EXPECT_EQ(at_active[1].type, 3);
}

TEST_F(WireCodecTest, OpeningAnotherFirstFeedThanTheRemoteFails) {
  WireCodec active(WireCodecOptions{}, &clock_);
  WireCodec passive(WireCodecOptions{}, &clock_);
  std::string bytes, reply;
  ASSERT_TRUE(active.WriteFeed(0, TestKey(), &bytes).ok());
  ASSERT_TRUE(passive.Receive(bytes.data(), bytes.size(), [](const Frame&) { return absl::OkStatus(); }).ok());
  ASSERT_TRUE(passive.needs_key());
  EXPECT_EQ(passive.WriteFeed(0, crypto::KeyPairFromSeed({9}).public_key, &reply).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(reply.empty());
}

TEST_F(WireCodecTest, SendsKeepAlivesWhenIdleAndTimesOutWhenTheRemoteIsSilent) {
  WireCodec codec(WireCodecOptions{}, &clock_);
  std::string out;
  clock_.AdvanceBy(absl::Seconds(4));
  ASSERT_TRUE(codec.Poll(&out).ok());
  EXPECT_TRUE(out.empty());  // nothing before the first Feed
  ASSERT_TRUE(codec.WriteFeed(0, TestKey(), &out).ok());
  const size_t after_feed = out.size();
  EXPECT_EQ(codec.NextDeadline(), clock_.Now() + absl::Milliseconds(2250));  // 6.25 s after start
  clock_.AdvanceBy(absl::Seconds(2));
  ASSERT_TRUE(codec.Poll(&out).ok());
  EXPECT_EQ(out.size(), after_feed);
  char byte = 0;  // the remote said something (a keep-alive is all it takes)
  ASSERT_TRUE(codec.Receive(&byte, 1, [](const Frame&) { return absl::OkStatus(); }).ok());
  clock_.AdvanceBy(absl::Milliseconds(1750));  // 3.75 s idle since the Feed
  ASSERT_TRUE(codec.Poll(&out).ok());
  EXPECT_EQ(out.size(), after_feed + 1);  // one (encrypted) zero-length frame
  clock_.AdvanceBy(absl::Milliseconds(4500));  // 6.25 s since the remote's byte
  EXPECT_EQ(codec.Poll(&out).code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(WireCodecTest, OptionsValidate) {
  EXPECT_TRUE(WireCodecOptions{}.Validate().ok());
  WireCodecOptions options;
  options.keep_alive_timeout = absl::Seconds(-1);
  EXPECT_FALSE(options.Validate().ok());
  options = WireCodecOptions();
  options.frames.max_channels = 0;
  EXPECT_FALSE(options.Validate().ok());
}

}  // namespace
}  // namespace evermirror::wire
