// The local policies and the chunks they make: what each reports besides its actions,
// and a chunk from the builder that the store's validator accepts.
#include "actor/policies.h"

#include <cmath>

#include <gtest/gtest.h>

#include "actor/chunk_builder.h"
#include "replay/chunk_validator.h"
#include "tests/test_util.h"

namespace fleet::actor {
namespace {

envs::EnvSpec Spec(const std::string& id) {
  auto s = envs::GetSpec(id);
  EXPECT_TRUE(s.ok());
  return *s;
}

TEST(PoliciesTest, EachKindSaysWhatItReports) {
  CollectSection c;
  c.policy = "random";
  EXPECT_EQ(CollectPolicyOutputs(c)->Columns(), std::vector<std::string>{"infos/logprob"});
  c.policy = "scripted";
  EXPECT_TRUE(CollectPolicyOutputs(c)->Columns().empty());
  // a checkpoint: what the file holds decides.
  testing::TempDir dir;
  c.policy = "checkpoint";
  c.checkpoint = dir.path() + "/mlp.pb";
  EXPECT_EQ(CollectPolicyOutputs(c).status().code(), StatusCode::kNotFound);
  testing::WriteFile(c.checkpoint, proto::PolicyWeights().SerializeAsString());
  EXPECT_EQ(CollectPolicyOutputs(c)->Columns(),
            (std::vector<std::string>{"infos/logprob", "infos/value"}));
  c.deterministic = true;
  EXPECT_EQ(CollectPolicyOutputs(c)->Columns(), std::vector<std::string>{"infos/value"});
  proto::PolicyWeights dt;
  dt.mutable_transformer()->set_state_dim(3);
  c.checkpoint = dir.path() + "/dt.pb";
  testing::WriteFile(c.checkpoint, dt.SerializeAsString());
  EXPECT_TRUE(CollectPolicyOutputs(c)->Columns().empty());  // a DT reports neither
  // the built policies agree with the prediction.
  c.policy = "random";
  EXPECT_TRUE((*MakeCollectPolicy(c, Spec("CartPole-v1")))->outputs().logprob);
}

TEST(PoliciesTest, RandomLogprobIsTheUniformDensity) {
  RandomPolicy discrete(Spec("Acrobot-v1").action_space);  // 3 actions
  std::mt19937_64 rng(1);
  std::vector<float> obs(6 * 2), actions(2), logp(2), values(2, -7.0f);
  discrete.Act(obs, 2, rng, actions, logp, values);
  EXPECT_FLOAT_EQ(logp[0], -std::log(3.0f));
  EXPECT_EQ(values[0], -7.0f);  // untouched: a random policy has no value estimate
  RandomPolicy box(Spec("Pendulum-v1").action_space);  // torque in [-2, 2]
  std::vector<float> a(1), lp(1);
  for (int i = 0; i < 100; ++i) {
    box.Act(std::vector<float>(3), 1, rng, a, lp, values);
    ASSERT_GE(a[0], -2.0f);
    ASSERT_LE(a[0], 2.0f);
  }
  EXPECT_FLOAT_EQ(lp[0], -std::log(4.0f));
}

TEST(PoliciesTest, ScriptedNeedsAnEnvWithAController) {
  CollectSection c;
  c.policy = "scripted";
  auto lander = MakeCollectPolicy(c, Spec("LunarLander-v3"));
  ASSERT_TRUE(lander.ok()) << lander.status().ToString();
  auto cartpole = MakeCollectPolicy(c, Spec("CartPole-v1"));
  ASSERT_FALSE(cartpole.ok());
  EXPECT_NE(cartpole.status().message().find("LunarLander-v3"), std::string::npos)
      << cartpole.status().message();  // names the envs that have one
}

TEST(ChunkBuilderTest, ChunksValidateAndCarryOnlyWhatThePolicyReports) {
  auto vec = envs::VectorEnv::Create("LunarLander-v3", 3, {});
  ASSERT_TRUE(vec.ok());
  ChunkBuilder builder(**vec, 4, 99, 200);
  builder.Reset(1000);
  CollectSection c;
  c.policy = "scripted";
  auto policy = MakeCollectPolicy(c, (*vec)->spec());
  ASSERT_TRUE(policy.ok());
  std::mt19937_64 rng(1);
  proto::TrajectoryChunk chunk;
  builder.Build(**policy, rng, 5, chunk);
  EXPECT_EQ(chunk.sequence(), 5u);
  EXPECT_EQ(chunk.actor_id(), 4u);
  EXPECT_EQ(chunk.actor_epoch(), 99u);
  EXPECT_EQ(chunk.env_seed_base(), 1000u);
  EXPECT_EQ(chunk.logprobs_size(), 0);  // scripted: deterministic, no log-probs or values
  EXPECT_EQ(chunk.values_size(), 0);
  replay::ChunkExpectations e{"LunarLander-v3", 8, 0, 4};
  EXPECT_TRUE(replay::ValidateChunk(chunk, e).ok()) << replay::ValidateChunk(chunk, e).ToString();
  e.require_logprobs = true;
  EXPECT_FALSE(replay::ValidateChunk(chunk, e).ok());
  // 600 steps of the heuristic lander: some episodes end inside the chunk.
  EXPECT_GT(chunk.final_indices_size(), 0);
  EXPECT_EQ(chunk.final_indices_size(), chunk.episode_returns_size());

  c.policy = "random";
  auto random = MakeCollectPolicy(c, (*vec)->spec());
  builder.Build(**random, rng, 6, chunk);
  EXPECT_EQ(chunk.logprobs_size(), 600);
  EXPECT_FLOAT_EQ(chunk.logprobs(0), -std::log(4.0f));
  EXPECT_EQ(chunk.values_size(), 0);
}

}  // namespace
}  // namespace fleet::actor
