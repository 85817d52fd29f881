// Reliable delivery against a real ZeroMQ ROUTER playing the store: credit, resends of
// unacknowledged chunks, duplicate acks, rejections, draining.
#include "actor/chunk_sender.h"

#include <gtest/gtest.h>

#include "common/zmq_util.h"
#include "proto/fleet.pb.h"
#include "tests/test_util.h"

namespace fleet::actor {
namespace {

using std::chrono::milliseconds;

// The store's side of the ingest socket, driven by the test.
class FakeStoreSocket {
 public:
  explicit FakeStoreSocket(zmq::context_t& ctx) : socket_(ctx, zmq::socket_type::router) {
    zmqu::Configure(socket_);
    socket_.bind("ipc://" + dir_.path() + "/ingest");
  }
  std::string endpoint() const { return "ipc://" + dir_.path() + "/ingest"; }
  // The next chunk's sequence (waits up to 2 s); -1 if none.
  int64_t Receive(milliseconds timeout = milliseconds(2000)) {
    if (!zmqu::WaitReadable(socket_, timeout) || !zmqu::RecvMultipart(socket_, frames_)) return -1;
    identity_ = frames_[0].to_string();
    proto::TrajectoryChunk c;
    EXPECT_TRUE(zmqu::ParseProto(frames_[1], c).ok());
    return static_cast<int64_t>(c.sequence());
  }
  void Ack(uint64_t sequence, bool duplicate = false, const std::string& error = "") {
    proto::ChunkAck ack;
    ack.set_sequence(sequence);
    ack.set_accepted(error.empty());
    ack.set_duplicate(duplicate);
    ack.set_error(error);
    SendRaw(ack.SerializeAsString());
  }
  void SendRaw(const std::string& bytes) {
    zmq::message_t id(identity_.data(), identity_.size());
    (void)socket_.send(id, zmq::send_flags::sndmore);
    zmq::message_t body(bytes.data(), bytes.size());
    (void)socket_.send(body, zmq::send_flags::none);
  }

 private:
  testing::TempDir dir_;
  zmq::socket_t socket_;
  std::vector<zmq::message_t> frames_;
  std::string identity_;
};

std::string Chunk(uint64_t sequence) { return testing::CartPoleChunk(0, sequence).SerializeAsString(); }

class ChunkSenderTest : public ::testing::Test {
 protected:
  ChunkSender Sender(int max_in_flight, milliseconds ack_timeout) {
    return ChunkSender(ctx_, {store_.endpoint(), "actor-0", max_in_flight, ack_timeout});
  }
  // sends chunk `sequence` and sees it arrive.
  void SendAndReceive(ChunkSender& sender, uint64_t sequence) {
    ASSERT_TRUE(sender.Send(sequence, 16, Chunk(sequence)).ok());
    ASSERT_EQ(store_.Receive(), static_cast<int64_t>(sequence));
  }
  zmq::context_t ctx_{1};
  FakeStoreSocket store_{ctx_};
};

TEST_F(ChunkSenderTest, CreditLimitsUnacknowledgedChunks) {
  ChunkSender sender = Sender(2, milliseconds(10000));
  ASSERT_TRUE(sender.Send(0, 16, Chunk(0)).ok());
  EXPECT_TRUE(sender.has_credit());
  ASSERT_TRUE(sender.Send(1, 16, Chunk(1)).ok());
  EXPECT_FALSE(sender.has_credit());  // a third Send would wait
  EXPECT_EQ(store_.Receive(), 0);
  EXPECT_EQ(store_.Receive(), 1);
  store_.Ack(1);
  ASSERT_TRUE(sender.Pump(milliseconds(500)).ok());
  EXPECT_TRUE(sender.has_credit());
  EXPECT_EQ(sender.in_flight(), 1u);
  EXPECT_EQ(sender.counters().acked, 1u);
  EXPECT_EQ(sender.counters().steps_acked, 16u);
}

TEST_F(ChunkSenderTest, UnacknowledgedChunksAreResentAndDuplicateAcksCounted) {
  ChunkSender sender = Sender(4, milliseconds(50));
  SendAndReceive(sender, 7);
  ASSERT_TRUE(sender.Pump(milliseconds(120)).ok());  // the ack is overdue: resent
  EXPECT_GE(sender.counters().resends, 1u);
  EXPECT_EQ(store_.Receive(), 7);  // the same chunk again
  store_.Ack(7, /*duplicate=*/true);
  store_.Ack(7, /*duplicate=*/true);  // a second ack of the same chunk is ignored
  ASSERT_TRUE(sender.Drain(milliseconds(1000)).ok());
  EXPECT_EQ(sender.counters().acked, 1u);
  EXPECT_EQ(sender.counters().duplicate_acks, 1u);
  EXPECT_EQ(sender.counters().sent, 1u);
}

TEST_F(ChunkSenderTest, ARejectionIsAnErrorNamingTheReason) {
  ChunkSender sender = Sender(2, milliseconds(10000));
  SendAndReceive(sender, 3);
  store_.Ack(3, false, "chunk field 'rewards' holds a non-finite value at index 2");
  const Status st = sender.Pump(milliseconds(500));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("chunk 3: chunk field 'rewards'"), std::string::npos) << st.message();
}

TEST_F(ChunkSenderTest, AMalformedAckIsDataLoss) {
  ChunkSender sender = Sender(2, milliseconds(10000));
  SendAndReceive(sender, 0);
  store_.SendRaw("\xff\xff\xff not an ack");
  EXPECT_EQ(sender.Pump(milliseconds(500)).code(), StatusCode::kDataLoss);
}

TEST_F(ChunkSenderTest, DrainWaitsForEveryAckAndSaysHowManyAreLeft) {
  ChunkSender sender = Sender(4, milliseconds(10000));
  ASSERT_TRUE(sender.Send(0, 16, Chunk(0)).ok());
  ASSERT_TRUE(sender.Send(1, 16, Chunk(1)).ok());
  ASSERT_EQ(store_.Receive(), 0);
  ASSERT_EQ(store_.Receive(), 1);
  store_.Ack(0);
  const Status st = sender.Drain(milliseconds(200));
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(st.message().find("1 chunks still unacknowledged"), std::string::npos) << st.message();
  store_.Ack(1);
  EXPECT_TRUE(sender.Drain(milliseconds(1000)).ok());
  EXPECT_EQ(sender.in_flight(), 0u);
}

}  // namespace
}  // namespace fleet::actor
