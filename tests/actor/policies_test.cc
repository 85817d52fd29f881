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

// actors.noise_hold_steps: a Gaussian actor-critic whose mean is 0 and std 1 acts its
// noise; held for 3 steps, each row's action repeats within a group of 3 calls and changes
// between groups, and its log-probability stays the Gaussian density of that action.
TEST(PoliciesTest, HeldExplorationNoiseRepeatsPerRowAndKeepsTheDensity) {
  proto::PolicyWeights w;
  for (auto* mlp : {w.mutable_actor(), w.mutable_critic()}) {
    proto::Layer* l = mlp->add_layers();
    l->set_in_dim(1);
    l->set_out_dim(1);
    l->add_weight(0.0f);
    l->add_bias(0.0f);
  }
  w.set_distribution(proto::DISTRIBUTION_GAUSSIAN);
  w.add_log_std(0.0f);
  envs::EnvSpec spec;
  spec.id = "test";
  spec.observation_space = envs::Space::Box({-1}, {1});
  spec.action_space = envs::Space::Box({-1}, {1});
  auto run = [&](int hold) {
    PolicyChoice choice;
    choice.noise_hold_steps = hold;
    auto p = PolicyFromWeights(w, spec, choice);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    std::mt19937_64 rng(3);
    std::vector<float> obs(2, 0.0f), a(2), lp(2), v(2);
    std::vector<std::vector<float>> out;
    for (int t = 0; t < 6; ++t) {
      (*p)->Act(obs, 2, rng, a, lp, v);
      for (int b = 0; b < 2; ++b) EXPECT_NEAR(lp[b], -0.5f * a[b] * a[b] - 0.91893853f, 1e-5);
      out.push_back(a);
    }
    return out;
  };
  const auto held = run(3);
  for (int b = 0; b < 2; ++b) {
    EXPECT_EQ(held[0][b], held[1][b]);
    EXPECT_EQ(held[1][b], held[2][b]);
    EXPECT_NE(held[2][b], held[3][b]);
    EXPECT_EQ(held[3][b], held[5][b]);
  }
  EXPECT_NE(held[0][0], held[0][1]);  // each row its own noise
  {  // an ended episode draws new noise for its row only
    PolicyChoice choice;
    choice.noise_hold_steps = 3;
    auto p = PolicyFromWeights(w, spec, choice);
    ASSERT_TRUE(p.ok());
    std::mt19937_64 rng(3);
    std::vector<float> obs(2, 0.0f), a(2), b(2), lp(2), v(2);
    (*p)->Act(obs, 2, rng, a, lp, v);
    (*p)->Observe(std::vector<float>{0, 0}, std::vector<uint8_t>{1, 0});
    (*p)->Act(obs, 2, rng, b, lp, v);
    EXPECT_NE(a[0], b[0]);
    EXPECT_EQ(a[1], b[1]);
  }
  const auto fresh = run(1);
  for (int t = 1; t < 6; ++t) EXPECT_NE(fresh[t][0], fresh[t - 1][0]);
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
