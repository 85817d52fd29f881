#include <gtest/gtest.h>

#include "proto/fleet.pb.h"

namespace fleet {
namespace {

proto::TrajectoryChunk MakeChunk() {
  proto::TrajectoryChunk c;
  c.set_actor_id(3);
  c.set_sequence(17);
  c.set_policy_version(9);
  c.set_env_id("CartPole-v1");
  c.set_num_steps(2);
  c.set_num_envs(2);
  c.set_obs_dim(4);
  c.set_action_dim(0);
  for (int i = 0; i < 16; ++i) c.add_observations(0.25f * i - 1.0f);
  for (int i = 0; i < 4; ++i) {
    c.add_discrete_actions(i % 2);
    c.add_rewards(1.0f);
    c.add_logprobs(-0.7f + 0.01f * i);
    c.add_values(0.5f * i);
  }
  c.set_terminated(std::string("\0\0\1\0", 4));
  c.set_truncated(std::string("\0\0\0\0", 4));
  for (int i = 0; i < 8; ++i) c.add_next_observations(0.1f * i);
  c.add_final_indices(2);
  for (int i = 0; i < 4; ++i) c.add_final_observations(3.0f + i);
  c.add_episode_returns(12.0f);
  c.add_episode_lengths(12);
  return c;
}

TEST(ProtoTest, TrajectoryChunkRoundTrip) {
  const proto::TrajectoryChunk c = MakeChunk();
  const std::string bytes = c.SerializeAsString();
  proto::TrajectoryChunk back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.SerializeAsString(), bytes);
  EXPECT_EQ(back.actor_id(), 3u);
  EXPECT_EQ(back.sequence(), 17u);
  EXPECT_EQ(back.policy_version(), 9u);
  ASSERT_EQ(back.observations_size(), 16);
  EXPECT_FLOAT_EQ(back.observations(15), 2.75f);
  EXPECT_EQ(back.terminated(), std::string("\0\0\1\0", 4));
  EXPECT_EQ(back.final_indices(0), 2u);
  // packed encoding: 16 floats take 64 bytes plus a small header, not 16 tagged fields.
  proto::TrajectoryChunk only_obs;
  only_obs.mutable_observations()->CopyFrom(c.observations());
  EXPECT_LE(only_obs.ByteSizeLong(), 64u + 3u);
}

TEST(ProtoTest, WeightsRoundTrip) {
  proto::PolicyWeights w;
  w.set_version(42);
  w.set_distribution(proto::DISTRIBUTION_GAUSSIAN);
  auto* l = w.mutable_actor()->add_layers();
  l->set_in_dim(2);
  l->set_out_dim(3);
  for (int i = 0; i < 6; ++i) l->add_weight(i * 0.5f);
  for (int i = 0; i < 3; ++i) l->add_bias(-i);
  w.add_log_std(-0.5f);
  w.mutable_obs_normalizer()->add_mean(1.5);
  w.mutable_obs_normalizer()->add_var(2.5);
  w.mutable_obs_normalizer()->set_count(10);
  w.set_stop(true);
  proto::PolicyWeights back;
  ASSERT_TRUE(back.ParseFromString(w.SerializeAsString()));
  EXPECT_EQ(back.version(), 42u);
  EXPECT_EQ(back.actor().layers(0).weight_size(), 6);
  EXPECT_FLOAT_EQ(back.actor().layers(0).weight(5), 2.5f);
  EXPECT_DOUBLE_EQ(back.obs_normalizer().var(0), 2.5);
  EXPECT_TRUE(back.stop());
  EXPECT_EQ(back.distribution(), proto::DISTRIBUTION_GAUSSIAN);
}

TEST(ProtoTest, GarbageDoesNotParseAsChunk) {
  proto::TrajectoryChunk c;
  // a field-7 varint tag whose value never ends.
  EXPECT_FALSE(c.ParseFromString(std::string("\x38\xff\xff\xff", 4)));
}

}  // namespace
}  // namespace fleet
