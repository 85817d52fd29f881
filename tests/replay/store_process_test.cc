// The store as a real process (`fleet store`), driven over real ZeroMQ sockets.
#include <signal.h>

#include <chrono>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "common/zmq_util.h"
#include "common/process.h"
#include "tests/test_util.h"

namespace fleet {
namespace {

using std::chrono::milliseconds;

class StoreProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFile(dir_.path() + "/config.yaml",
                       "store:\n  queue_chunks: 4\n  max_chunk_bytes: 100000\n");
    ingest_ = "ipc://" + dir_.path() + "/ingest";
    rollout_ = "ipc://" + dir_.path() + "/rollout";
    auto child = ChildProcess::Spawn(
        "store",
        {std::string(FLEET_BIN_DIR) + "/fleet", "store", "--config", dir_.path() + "/config.yaml",
         "--ingest", ingest_, "--rollout", rollout_},
        dir_.path() + "/store.log");
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    store_.emplace(std::move(child).value());
  }
  void TearDown() override {
    if (store_) {
      store_->Signal(SIGTERM);
      EXPECT_TRUE(store_->Wait(milliseconds(5000)));
      EXPECT_EQ(store_->Poll().value_or(-1), 0) << testing::ReadFile(dir_.path() + "/store.log");
    }
  }

  zmq::socket_t Actor(const std::string& id) {
    zmq::socket_t s(ctx_, zmq::socket_type::dealer);
    zmqu::Configure(s);
    s.set(zmq::sockopt::routing_id, id);
    s.connect(ingest_);
    return s;
  }
  static void SendBytes(zmq::socket_t& s, const std::string& bytes) {
    zmq::message_t m(bytes.data(), bytes.size());
    ASSERT_TRUE(s.send(m, zmq::send_flags::none));
  }
  static std::optional<proto::ChunkAck> RecvAck(zmq::socket_t& s, int timeout_ms = 5000) {
    if (!zmqu::WaitReadable(s, milliseconds(timeout_ms))) return std::nullopt;
    std::vector<zmq::message_t> frames;
    if (!zmqu::RecvMultipart(s, frames)) return std::nullopt;
    proto::ChunkAck ack;
    if (!zmqu::ParseProto(frames.back(), ack).ok()) return std::nullopt;
    return ack;
  }

  testing::TempDir dir_;
  std::string ingest_, rollout_;
  std::optional<ChildProcess> store_;
  zmq::context_t ctx_{1};
};

TEST_F(StoreProcessTest, RejectsBadChunksWithReasonsAndKeepsServing) {
  zmq::socket_t bad = Actor("bad-actor");
  zmq::socket_t good = Actor("good-actor");

  SendBytes(bad, std::string("\x38\xff\xff\xff", 4));
  auto ack = RecvAck(bad);
  ASSERT_TRUE(ack);
  EXPECT_FALSE(ack->accepted());
  EXPECT_NE(ack->error().find("malformed"), std::string::npos) << ack->error();

  proto::TrajectoryChunk short_obs = testing::CartPoleChunk(7, 0);
  short_obs.mutable_observations()->RemoveLast();
  SendBytes(bad, short_obs.SerializeAsString());
  ack = RecvAck(bad);
  ASSERT_TRUE(ack);
  EXPECT_FALSE(ack->accepted());
  EXPECT_EQ(ack->sequence(), 0u);
  EXPECT_NE(ack->error().find("observations"), std::string::npos) << ack->error();

  SendBytes(bad, std::string(200000, 'x'));
  ack = RecvAck(bad);
  ASSERT_TRUE(ack);
  EXPECT_NE(ack->error().find("max_chunk_bytes"), std::string::npos) << ack->error();

  // a good actor is unaffected; a resend is acknowledged but not stored twice.
  const std::string chunk = testing::CartPoleChunk(1, 0).SerializeAsString();
  SendBytes(good, chunk);
  ack = RecvAck(good);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->accepted());
  EXPECT_FALSE(ack->duplicate());
  SendBytes(good, chunk);
  ack = RecvAck(good);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->accepted());
  EXPECT_TRUE(ack->duplicate());
  SendBytes(good, testing::CartPoleChunk(1, 1).SerializeAsString());
  ASSERT_TRUE(RecvAck(good));

  // the learner gets exactly the two distinct chunks, and the counters.
  zmq::socket_t learner(ctx_, zmq::socket_type::dealer);
  zmqu::Configure(learner);
  learner.connect(rollout_);
  proto::RolloutRequest req;
  req.set_num_chunks(2);
  ASSERT_TRUE(zmqu::SendProto(learner, req).ok());
  ASSERT_TRUE(zmqu::WaitReadable(learner, milliseconds(5000)));
  std::vector<zmq::message_t> frames;
  ASSERT_TRUE(zmqu::RecvMultipart(learner, frames));
  ASSERT_EQ(frames.size(), 3u);
  proto::RolloutHeader header;
  ASSERT_TRUE(zmqu::ParseProto(frames[0], header).ok());
  EXPECT_EQ(header.stats().rejected_chunks(), 3u);
  EXPECT_EQ(header.stats().duplicate_chunks(), 1u);
  EXPECT_EQ(header.stats().accepted_chunks(), 2u);
  proto::TrajectoryChunk first;
  ASSERT_TRUE(zmqu::ParseProto(frames[1], first).ok());
  EXPECT_EQ(first.sequence(), 0u);
  EXPECT_EQ(frames[1].to_string(), chunk);  // the bytes the actor sent
}

TEST_F(StoreProcessTest, FullQueueStopsAcknowledgingUntilTheLearnerTakes) {
  zmq::socket_t actor = Actor("actor-0");
  for (uint64_t s = 0; s < 6; ++s) SendBytes(actor, testing::CartPoleChunk(0, s).SerializeAsString());
  int acked = 0;
  while (RecvAck(actor, 500)) ++acked;
  EXPECT_EQ(acked, 4) << "queue_chunks is 4";

  zmq::socket_t learner(ctx_, zmq::socket_type::dealer);
  zmqu::Configure(learner);
  learner.connect(rollout_);
  proto::RolloutRequest req;
  req.set_num_chunks(4);
  ASSERT_TRUE(zmqu::SendProto(learner, req).ok());
  ASSERT_TRUE(zmqu::WaitReadable(learner, milliseconds(5000)));
  std::vector<zmq::message_t> frames;
  ASSERT_TRUE(zmqu::RecvMultipart(learner, frames));
  EXPECT_EQ(frames.size(), 5u);
  // room again: the two waiting chunks are taken and acknowledged.
  while (RecvAck(actor, 1000)) ++acked;
  EXPECT_EQ(acked, 6);
}

}  // namespace
}  // namespace fleet
