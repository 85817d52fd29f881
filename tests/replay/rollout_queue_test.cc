#include "replay/rollout_queue.h"

#include <gtest/gtest.h>

namespace fleet::replay {
namespace {

QueuedChunk Chunk(uint32_t actor, uint64_t seq, uint64_t version) {
  QueuedChunk c;
  c.actor_id = actor;
  c.sequence = seq;
  c.policy_version = version;
  c.num_steps = 10;
  c.episode_returns = {static_cast<float>(seq)};
  c.episode_lengths = {3};
  return c;
}

TEST(RolloutQueueTest, HandsOutChunksInArrivalOrder) {
  RolloutQueue q(8, 1);
  q.Push(Chunk(1, 0, 0));
  q.Push(Chunk(0, 0, 0));
  q.Push(Chunk(1, 1, 0));
  std::vector<QueuedChunk> out;
  DroppedStats dropped;
  ASSERT_TRUE(q.TakeBatch(0, 2, out, dropped));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].actor_id, 1u);
  EXPECT_EQ(out[1].actor_id, 0u);
  EXPECT_EQ(q.size(), 1);
}

TEST(RolloutQueueTest, WaitsUntilEnoughChunks) {
  RolloutQueue q(8, 1);
  q.Push(Chunk(0, 0, 0));
  std::vector<QueuedChunk> out;
  DroppedStats dropped;
  EXPECT_FALSE(q.TakeBatch(0, 2, out, dropped));
  EXPECT_EQ(q.size(), 1);
}

TEST(RolloutQueueTest, DropsChunksBeyondThePolicyLagBound) {
  RolloutQueue q(8, 1);
  q.Push(Chunk(0, 0, 3));  // lag 2 at version 5: dropped
  q.Push(Chunk(0, 1, 4));  // lag 1: kept
  q.Push(Chunk(1, 0, 5));  // lag 0: kept
  std::vector<QueuedChunk> out;
  DroppedStats dropped;
  ASSERT_TRUE(q.TakeBatch(5, 2, out, dropped));
  EXPECT_EQ(out[0].policy_version, 4u);
  EXPECT_EQ(out[1].policy_version, 5u);
  EXPECT_EQ(dropped.chunks, 1u);
  EXPECT_EQ(dropped.steps, 10u);
  // the dropped chunk's finished episodes are still reported.
  EXPECT_EQ(dropped.episode_returns, std::vector<float>{0.0f});
}

TEST(RolloutQueueTest, ReportsFullAtCapacity) {
  RolloutQueue q(2, 0);
  q.Push(Chunk(0, 0, 0));
  EXPECT_FALSE(q.full());
  q.Push(Chunk(0, 1, 0));
  EXPECT_TRUE(q.full());
  std::vector<QueuedChunk> out;
  DroppedStats dropped;
  ASSERT_TRUE(q.TakeBatch(0, 1, out, dropped));
  EXPECT_FALSE(q.full());
}

}  // namespace
}  // namespace fleet::replay
