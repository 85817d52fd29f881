// The store as a real process (`fleet store`), driven over real ZeroMQ sockets.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "common/zmq_util.h"
#include "common/process.h"
#include "learner/rollout_source.h"
#include "tests/test_util.h"

namespace fleet {
namespace {

using std::chrono::milliseconds;

class StoreProcessTest : public ::testing::Test {
 protected:
  virtual std::string ConfigYaml() const {
    return "store:\n  queue_chunks: 4\n  max_chunk_bytes: 100000\n";
  }
  void SetUp() override {
    testing::WriteFile(dir_.path() + "/config.yaml", ConfigYaml());
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

  zmq::socket_t Learner() {
    zmq::socket_t s(ctx_, zmq::socket_type::dealer);
    zmqu::Configure(s);
    s.connect(rollout_);
    return s;
  }
  // one request, its header (nullopt when no reply came within the timeout)
  static std::optional<proto::RolloutHeader> Ask(zmq::socket_t& learner, const proto::RolloutRequest& req,
                                                 int timeout_ms = 5000) {
    if (!zmqu::SendProto(learner, req).ok()) return std::nullopt;
    return Reply(learner, timeout_ms);
  }
  static std::optional<proto::RolloutHeader> Reply(zmq::socket_t& learner, int timeout_ms) {
    if (!zmqu::WaitReadable(learner, milliseconds(timeout_ms))) return std::nullopt;
    std::vector<zmq::message_t> frames;
    if (!zmqu::RecvMultipart(learner, frames)) return std::nullopt;
    proto::RolloutHeader header;
    if (!zmqu::ParseProto(frames[0], header).ok()) return std::nullopt;
    return header;
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

TEST_F(StoreProcessTest, ASampleRequestToAStoreWithoutAReplayTableIsRefused) {
  zmq::socket_t learner = Learner();
  proto::RolloutRequest req;
  req.set_sample_transitions(16);
  auto header = Ask(learner, req);
  ASSERT_TRUE(header);
  EXPECT_NE(header->error().find("no replay table"), std::string::npos) << header->error();
  EXPECT_NE(header->error().find("replay.capacity"), std::string::npos) << header->error();
  req.Clear();  // no chunks asked for
  header = Ask(learner, req);
  ASSERT_TRUE(header);
  EXPECT_NE(header->error().find("no chunks"), std::string::npos) << header->error();
}

// A store with a replay table (replay.capacity > 0): chunks of 8 steps x 2 envs as
// configured; 4 samples per insert, sampling from 64 transitions, error buffer 100:
// diff = 4 inserts - samples stays within [4 x 64 - 100, 4 x 64 + 100] = [156, 356].
class ReplayStoreProcessTest : public StoreProcessTest {
 protected:
  std::string ConfigYaml() const override {
    return "env:\n  num_envs: 2\nactors:\n  steps_per_chunk: 8\n"
           "replay:\n  capacity: 1000\n  samples_per_insert: 4\n  min_size: 64\n"
           "  error_buffer: 100\n  max_sample: 32\n";
  }
  // chunk `sequence` of actor 0 with its observations' first entry set to 1000 sequence +
  // the flat step (which chunk a sampled transition came from).
  static std::string Chunk(uint64_t sequence) {
    proto::TrajectoryChunk c = testing::CartPoleChunk(0, sequence);
    for (int i = 0; i < 16; ++i) c.set_observations(i * 4, 1000.0f * sequence + i);
    return c.SerializeAsString();
  }
};

// Inserts and samples from two threads through the store process: every reply's counters
// keep the limiter's bounds, the ratio ends near 4, and when the learner stops sampling
// the actor is held back (no acks) until it samples again.
TEST_F(ReplayStoreProcessTest, TheRateLimiterHoldsItsRatioUnderConcurrentInsertsAndSamples) {
  constexpr int kChunks = 200;
  std::atomic<int> acked{0};
  std::atomic<bool> actor_done{false};
  uint64_t next_sequence = 0;
  zmq::socket_t actor = Actor("actor-0");
  std::thread actor_thread([&] {
    int in_flight = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acked < kChunks && std::chrono::steady_clock::now() < deadline) {
      while (in_flight < 4 && next_sequence < kChunks) {
        SendBytes(actor, Chunk(next_sequence++));
        ++in_flight;
      }
      if (auto ack = RecvAck(actor, 100)) {
        EXPECT_TRUE(ack->accepted()) << ack->error();
        --in_flight;
        ++acked;
      }
    }
    actor_done = true;
  });
  zmq::socket_t learner = Learner();
  proto::RolloutRequest req;
  req.set_sample_transitions(16);
  int replies = 0;
  uint64_t steps_reported = 0;
  std::vector<float> returns;
  ASSERT_TRUE(zmqu::SendProto(learner, req).ok());
  while (true) {
    // once the actor is done, a reply still on its way has 2 s to come (a loaded machine)
    const bool done = actor_done;
    auto header = Reply(learner, done ? 2000 : 300);
    if (!header) {
      if (done) break;
      continue;
    }
    ++replies;
    const auto& st = header->stats();
    ASSERT_TRUE(header->error().empty()) << header->error();
    ASSERT_EQ(header->sample().size(), 16u);
    ASSERT_EQ(header->sample().observations_size(), 16 * 4);
    ASSERT_EQ(header->sample().terminated().size(), 16u);
    const double diff = 4.0 * st.replay_inserts() - st.replay_samples();
    EXPECT_GE(diff, 156.0) << "reply " << replies;
    EXPECT_LE(diff, 356.0) << "reply " << replies;
    EXPECT_GE(st.replay_size(), 64u);
    steps_reported += header->inserted_steps();
    returns.insert(returns.end(), header->inserted_episode_returns().begin(),
                   header->inserted_episode_returns().end());
    ASSERT_TRUE(zmqu::SendProto(learner, req).ok());
  }
  actor_thread.join();
  ASSERT_EQ(acked.load(), kChunks);
  // the last request waits: no more inserts, and one more sample would break the bound
  proto::RolloutRequest stats;
  stats.set_stats_only(true);
  zmq::socket_t probe = Learner();
  auto counters = Ask(probe, stats);
  ASSERT_TRUE(counters);
  const auto& st = counters->stats();
  EXPECT_EQ(st.replay_inserts(), uint64_t{kChunks} * 16);
  EXPECT_EQ(st.replay_size(), 1000u);
  EXPECT_EQ(st.replay_evicted(), uint64_t{kChunks} * 16 - 1000);
  EXPECT_EQ(st.replay_samples(), uint64_t(replies) * 16);
  // every sample the bounds allowed was served: 4 x 3200 - 156 > samples >= that - 16
  EXPECT_LE(4.0 * st.replay_inserts() - st.replay_samples(), 156.0 + 16);
  EXPECT_NEAR(double(st.replay_samples()) / st.replay_inserts(), 4.0, 0.06);
  // the learner hears of every step and episode the table took in (the waiting
  // request's share comes with the next reply)
  EXPECT_LE(steps_reported, uint64_t{kChunks} * 16);
  EXPECT_GE(steps_reported, uint64_t{kChunks - 25} * 16);

  // backpressure: the learner's request is pending but cannot be served; more chunks go
  // in only until 4 inserts - samples would pass 356 (at most (356 - 156) / 64 + 1 = 4)
  int stalled_acks = 0;
  for (int i = 0; i < 20; ++i) SendBytes(actor, Chunk(next_sequence++));
  while (auto ack = RecvAck(actor, 1000)) ++stalled_acks;
  EXPECT_GE(stalled_acks, 1);  // the pending request took its sample: room for more
  EXPECT_LE(stalled_acks, 5);
  // sampling again lets the rest in
  int later_acks = 0;
  for (int i = 0; i < 200 && stalled_acks + later_acks < 20; ++i) {
    if (auto header = Reply(learner, 50)) {
      ASSERT_TRUE(zmqu::SendProto(learner, req).ok());
    }
    while (RecvAck(actor, 10)) ++later_acks;
  }
  EXPECT_EQ(stalled_acks + later_acks, 20);
}

// A loose limiter (1 sample per insert, error buffer 10000): 70 chunks go in without a
// sample, and hundreds of samples follow.
class LooseReplayStoreProcessTest : public ReplayStoreProcessTest {
 protected:
  std::string ConfigYaml() const override {
    return "env:\n  num_envs: 2\nactors:\n  steps_per_chunk: 8\n"
           "replay:\n  capacity: 1000\n  samples_per_insert: 1\n  min_size: 64\n"
           "  error_buffer: 10000\n  max_sample: 32\n";
  }
};

// The ring keeps the newest transitions, and requests the table cannot serve get an
// error naming the problem.
TEST_F(LooseReplayStoreProcessTest, TheOldestAreEvictedAndBadRequestsAreNamed) {
  zmq::socket_t actor = Actor("actor-0");
  for (uint64_t s = 0; s < 70; ++s) {  // 1120 transitions into 1000: chunks 0-7 go
    SendBytes(actor, Chunk(s));
    auto ack = RecvAck(actor);
    ASSERT_TRUE(ack);
    ASSERT_TRUE(ack->accepted()) << ack->error();
  }
  zmq::socket_t learner = Learner();
  proto::RolloutRequest req;
  req.set_sample_transitions(32);
  std::set<int> chunks_seen;
  for (int i = 0; i < 20; ++i) {
    auto header = Ask(learner, req);
    ASSERT_TRUE(header);
    ASSERT_TRUE(header->error().empty()) << header->error();
    for (int b = 0; b < 32; ++b) {
      const float o = header->sample().observations(b * 4);
      chunks_seen.insert(static_cast<int>(o / 1000.0f));
    }
  }
  EXPECT_GE(*chunks_seen.begin(), 7);  // chunk 7 lost 8 of its 16 steps, 0-6 all
  EXPECT_EQ(*chunks_seen.rbegin(), 69);
  EXPECT_GT(chunks_seen.size(), 30u);

  proto::RolloutRequest too_big;
  too_big.set_sample_transitions(33);
  auto header = Ask(learner, too_big);
  ASSERT_TRUE(header);
  EXPECT_NE(header->error().find("replay.max_sample (32)"), std::string::npos) << header->error();
  proto::RolloutRequest both;
  both.set_sample_transitions(8);
  both.set_num_chunks(2);
  header = Ask(learner, both);
  ASSERT_TRUE(header);
  EXPECT_NE(header->error().find("both chunks and a sample"), std::string::npos) << header->error();
  proto::RolloutRequest chunks;
  chunks.set_num_chunks(2);
  header = Ask(learner, chunks);
  ASSERT_TRUE(header);
  EXPECT_NE(header->error().find("not rollouts"), std::string::npos) << header->error();
  // and it still serves
  header = Ask(learner, req);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->sample().size(), 32u);
}

// The learner's prefetch (replay.prefetch): PrefetchSample sends the request at once, the
// store draws the sample before anyone waits for it, and the next NextSample returns that
// sample without asking again; one request in flight at most.
TEST_F(LooseReplayStoreProcessTest, APrefetchedSampleIsDrawnAtOnceAndCollectedByNextSample) {
  zmq::socket_t actor = Actor("actor-0");
  for (uint64_t s = 0; s < 10; ++s) {
    SendBytes(actor, Chunk(s));
    auto ack = RecvAck(actor);
    ASSERT_TRUE(ack);
    ASSERT_TRUE(ack->accepted()) << ack->error();
  }
  zmq::socket_t probe = Learner();
  auto samples_served = [&] {
    proto::RolloutRequest stats;
    stats.set_stats_only(true);
    auto header = Ask(probe, stats);
    EXPECT_TRUE(header);
    return header ? header->stats().replay_samples() : uint64_t{0};
  };
  learner::RolloutSource source(ctx_, rollout_, 1);
  ASSERT_TRUE(source.PrefetchSample(32).ok());
  auto again = source.PrefetchSample(32);
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("already in flight"), std::string::npos) << again.ToString();
  // drawn while nobody waits for it
  uint64_t served = 0;
  for (int i = 0; i < 100 && served == 0; ++i) {
    served = samples_served();
    if (served == 0) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(served, 32u);
  auto first = source.NextSample(32, [] {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->batch.size, 32);
  EXPECT_EQ((*first)->inserted_steps, 160u);  // the 10 chunks' steps came with it
  EXPECT_EQ(samples_served(), 32u);           // collected, not asked for again
  // without a prefetch, NextSample asks
  auto second = source.NextSample(32, [] {});
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(samples_served(), 64u);
  // a request in flight is not sent over
  ASSERT_TRUE(source.PrefetchSample(16).ok());
  auto other = source.NextSample(32, [] {});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("already in flight"), std::string::npos);
}

}  // namespace
}  // namespace fleet
