// REINFORCE and the group-relative policy gradient (learner/policy_gradient.h): their
// losses against hand-computed values, and both learning a one-step task from chunks
// whose actions their own model sampled, through the Algorithm interface the learner
// role calls.
#include "learner/policy_gradient.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "envs/registry.h"
#include "tests/test_util.h"

namespace fleet::learner {
namespace {

torch::Tensor T(std::vector<float> v) {
  return torch::from_blob(v.data(), {static_cast<int64_t>(v.size())}, torch::kFloat32).clone();
}

TEST(ReinforceLossTest, HandComputed) {
  PolicyOutput out{T({-1, -2}), T({0.5, 0.7}), T({1, 2})};
  ReinforceConfig c;
  c.normalize_advantages = false;
  c.ent_coef = 0.1;
  // no baseline: -mean(logp G) = -(-1 * 3 + -2 * 1) / 2 = 2.5; minus 0.1 x mean entropy 0.6.
  PgLossTerms t = ComputeReinforceLoss(out, T({3, 1}), c);
  EXPECT_NEAR(t.policy_loss.item<double>(), 2.5, 1e-6);
  EXPECT_NEAR(t.loss.item<double>(), 2.44, 1e-6);
  EXPECT_NEAR(t.value_loss.item<double>(), 0.0, 1e-12);
  // baseline: A = G - V = (2, -1): -(-1 * 2 + -2 * -1) / 2 = 0; value loss
  // 0.5 mean((1 - 3)^2, (2 - 1)^2) = 1.25; loss = 0 - 0.06 + 0.5 x 1.25.
  c.baseline = true;
  t = ComputeReinforceLoss(out, T({3, 1}), c);
  EXPECT_NEAR(t.policy_loss.item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(t.value_loss.item<double>(), 1.25, 1e-6);
  EXPECT_NEAR(t.loss.item<double>(), 0.565, 1e-6);
  // standardized: (2, -1) -> (1/sqrt2, -1/sqrt2) (sample std 2.1213);
  // -mean(-1 x 0.7071, -2 x -0.7071) = -0.35355.
  c.normalize_advantages = true;
  t = ComputeReinforceLoss(out, T({3, 1}), c);
  EXPECT_NEAR(t.policy_loss.item<double>(), -0.5 / std::sqrt(2.0), 1e-5);
}

TEST(ReinforceLossTest, TheBaselineGetsOnlyTheValueLossGradient) {
  torch::Tensor value = T({1, 2}).requires_grad_(true);
  PolicyOutput out{T({-1, -2}), T({0, 0}), value};
  ReinforceConfig c;
  c.normalize_advantages = false;
  c.baseline = true;
  c.vf_coef = 0.5;
  ComputeReinforceLoss(out, T({3, 1}), c).loss.backward();
  // d/dV of 0.5 x 0.5 mean((V - G)^2) = 0.5 (V - G) / 2; a baseline not detached in the
  // policy term would add logp / 2 = (-0.5, -1).
  auto g = value.grad();
  EXPECT_NEAR(g[0].item<double>(), -0.5, 1e-6);
  EXPECT_NEAR(g[1].item<double>(), 0.25, 1e-6);
}

TEST(GrpoLossTest, HandComputed) {
  PolicyOutput out{T({-1, -0.5}), T({1, 1}), T({0, 0})};
  GrpoConfig c;
  c.clip_coef = 0.2;
  c.ent_coef = 0.01;
  c.kl_coef = 0.1;
  // ratios (1, e^0.5 = 1.6487); A = (1, 2): max(-A r, -A clip(r)) = (-1, max(-3.297, -2.4))
  // -> mean -1.7. KL k3 with q = ref - logp = (-0.5, 0): (e^-0.5 + 0.5 - 1, 0) -> 0.053265.
  PgLossTerms t = ComputeGrpoLoss(out, T({-1, -1}), T({1, 2}), T({-1.5, -0.5}), c);
  EXPECT_NEAR(t.policy_loss.item<double>(), -1.7, 1e-5);
  EXPECT_NEAR(t.ref_kl.item<double>(), (std::exp(-0.5) - 0.5) / 2, 1e-6);
  EXPECT_NEAR(t.loss.item<double>(), -1.7 - 0.01 + 0.1 * (std::exp(-0.5) - 0.5) / 2, 1e-5);
  EXPECT_NEAR(t.approx_kl.item<double>(), (std::exp(0.5) - 1 - 0.5) / 2, 1e-6);
  EXPECT_NEAR(t.clip_fraction.item<double>(), 0.5, 1e-6);
  // a negative advantage keeps the unclipped (pessimistic) term: -(-1) x 1.6487.
  t = ComputeGrpoLoss(out, T({-1, -1}), T({0, -1}), torch::Tensor(), c);
  EXPECT_NEAR(t.policy_loss.item<double>(), std::exp(0.5) / 2, 1e-5);
  EXPECT_NEAR(t.ref_kl.item<double>(), 0.0, 1e-12);
}

// One-step episodes on CartPole's spaces: observation 0, reward 1 for action 1, 0 for
// action 0. Actions are sampled from the algorithm's own model, so the batch is on-policy.
proto::TrajectoryChunk BanditChunk(ActorCritic& model, uint64_t sequence, int N,
                                   std::mt19937_64& rng, uint64_t seed_base) {
  proto::TrajectoryChunk c;
  c.set_actor_id(0);
  c.set_actor_epoch(1);
  c.set_sequence(sequence);
  c.set_num_steps(1);
  c.set_num_envs(N);
  c.set_obs_dim(4);
  c.set_action_dim(0);
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = model->PolicyHead(torch::zeros({1, 4}));
  const torch::Tensor logp = torch::log_softmax(logits, 1)[0];
  const double p1 = std::exp(logp[1].item<double>());
  std::bernoulli_distribution pick(p1);
  for (int e = 0; e < N; ++e) {
    const int a = pick(rng) ? 1 : 0;
    for (int d = 0; d < 4; ++d) c.add_observations(0.0f);
    c.add_discrete_actions(a);
    c.add_rewards(static_cast<float>(a));
    c.add_logprobs(logp[a].item<float>());
    c.add_final_indices(e);
    for (int d = 0; d < 4; ++d) c.add_final_observations(0.0f);
    c.add_episode_returns(static_cast<float>(a));
    c.add_episode_lengths(1);
    // groups of 4 envs: one seed per group and chunk
    c.add_episode_seeds(seed_base + sequence * 1000 + e / 4);
  }
  c.set_terminated(std::string(N, '\1'));
  c.set_truncated(std::string(N, '\0'));
  return c;
}

double ProbabilityOfAction1(ActorCritic& model) {
  torch::NoGradGuard no_grad;
  return torch::softmax(model->PolicyHead(torch::zeros({1, 4})), 1)[0][1].item<double>();
}

template <class Algo>
std::unique_ptr<Algo> Make(const std::vector<std::string>& sets) {
  auto cfg = ParseRunConfig("", sets);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto spec = envs::GetSpec("CartPole-v1");
  auto algo = Algo::Create(*cfg, *spec);
  EXPECT_TRUE(algo.ok()) << algo.status().ToString();
  return std::move(*algo);
}

TEST(ReinforceAlgorithmTest, LearnsTheRewardedAction) {
  auto algo = Make<ReinforceAlgorithm>({"learner.algo=reinforce", "learner.reinforce.learning_rate=0.01"});
  std::mt19937_64 rng(1);
  const double before = ProbabilityOfAction1(algo->model());
  EXPECT_NEAR(before, 0.5, 0.05);  // orthogonal init, policy head gain 0.01
  for (int u = 0; u < 60; ++u) {
    RolloutBatch batch{{BanditChunk(algo->model(), u, 16, rng, 0)}};
    auto values = algo->Update(batch, {u, 60});
    ASSERT_TRUE(values.ok()) << values.status().ToString();
    ASSERT_EQ(values->size(), algo->metrics().size());
    EXPECT_EQ((*values)[3], 16);  // episodes in the update
  }
  EXPECT_GT(ProbabilityOfAction1(algo->model()), 0.95);
}

TEST(GrpoAlgorithmTest, LearnsTheRewardedActionFromGroupAdvantages) {
  auto algo = Make<GrpoAlgorithm>({"learner.algo=grpo", "env.num_envs=16", "env.group_size=4",
                                   "learner.grpo.learning_rate=0.01", "learner.grpo.kl_coef=0.01",
                                   "learner.grpo.num_minibatches=2"});
  std::mt19937_64 rng(2);
  for (int u = 0; u < 40; ++u) {
    RolloutBatch batch{{BanditChunk(algo->model(), u, 16, rng, 0)}};
    auto values = algo->Update(batch, {u, 40});
    ASSERT_TRUE(values.ok()) << values.status().ToString();
    ASSERT_EQ(values->size(), algo->metrics().size());
    EXPECT_EQ((*values)[5], 4);  // 16 episodes in 4 complete groups
  }
  EXPECT_GT(ProbabilityOfAction1(algo->model()), 0.95);
}

TEST(GrpoAlgorithmTest, LearnsTheRewardedActionWithProcessSupervision) {
  auto algo = Make<GrpoAlgorithm>({"learner.algo=grpo", "env.num_envs=16", "env.group_size=4",
                                   "learner.grpo.learning_rate=0.01", "learner.grpo.supervision=process",
                                   "learner.grpo.num_minibatches=2"});
  std::mt19937_64 rng(5);
  for (int u = 0; u < 40; ++u) {
    RolloutBatch batch{{BanditChunk(algo->model(), u, 16, rng, 0)}};
    ASSERT_TRUE(algo->Update(batch, {u, 40}).ok());
  }
  EXPECT_GT(ProbabilityOfAction1(algo->model()), 0.95);
  auto cfg = ParseRunConfig("", {"learner.algo=grpo", "env.num_envs=4", "env.group_size=2",
                                 "learner.grpo.supervision=steps"});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("learner.grpo.supervision"), std::string::npos);
}

TEST(GrpoAlgorithmTest, NeedsGroupedSeedingAndSeededEpisodes) {
  auto cfg = ParseRunConfig("", {"learner.algo=grpo"});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("env.group_size"), std::string::npos);
  cfg = ParseRunConfig("", {"learner.algo=grpo", "env.num_envs=6", "env.group_size=4"});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("divide env.num_envs"), std::string::npos);
  auto algo = Make<GrpoAlgorithm>({"learner.algo=grpo", "env.num_envs=4", "env.group_size=2"});
  std::mt19937_64 rng(3);
  RolloutBatch batch{{BanditChunk(algo->model(), 0, 4, rng, 0)}};
  batch.chunks[0].clear_episode_seeds();
  const Status st = algo->Update(batch, {0, 1}).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

TEST(GrpoAlgorithmTest, SavedStateRestoresExactly) {
  testing::TempDir dir;
  const std::vector<std::string> sets = {"learner.algo=grpo", "env.num_envs=8", "env.group_size=4",
                                         "learner.grpo.kl_coef=0.04"};
  auto a = Make<GrpoAlgorithm>(sets);
  std::mt19937_64 rng(4);
  RolloutBatch batch{{BanditChunk(a->model(), 0, 8, rng, 0)}};
  ASSERT_TRUE(a->Update(batch, {0, 10}).ok());
  std::string state;
  ASSERT_TRUE(a->Save(dir.path(), "", &state).ok());
  auto b = Make<GrpoAlgorithm>(sets);
  EXPECT_NE(a->ExportPolicy(1).SerializeAsString(), b->ExportPolicy(1).SerializeAsString());
  ASSERT_TRUE(b->Restore(dir.path(), state).ok());
  EXPECT_EQ(a->ExportPolicy(1).SerializeAsString(), b->ExportPolicy(1).SerializeAsString());
}

}  // namespace
}  // namespace fleet::learner
