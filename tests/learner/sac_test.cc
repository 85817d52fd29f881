#include "learner/sac.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "actor/policies.h"
#include "actor/squashed_gaussian_policy.h"
#include "learner/algorithm_registry.h"
#include "learner/sac_algorithm.h"
#include "tests/test_util.h"

namespace fleet::learner {
namespace {

// log pi of a tanh-squashed Gaussian, by hand (Python's math module):
// x = 0.5, N(0, 1), scale 1: -0.125 - log sqrt(2 pi) - log(1 - tanh(0.5)^2 + 1e-6);
// two dims x = (0.3, -1.2), mean (0.1, -1.0), log std (-0.5, 0.2), scale (2, 0.5).
TEST(SacMathTest, SquashedLogProbByHand) {
  auto one = SquashedLogProb(torch::tensor({{0.5f}}), torch::zeros({1, 1}), torch::zeros({1, 1}),
                             torch::ones({1}));
  EXPECT_NEAR(one.item<float>(), -0.8037107908, 1e-5);
  auto two = SquashedLogProb(torch::tensor({{0.3f, -1.2f}}), torch::tensor({{0.1f, -1.0f}}),
                             torch::tensor({{-0.5f, 0.2f}}), torch::tensor({2.0f, 0.5f}));
  EXPECT_NEAR(two.item<float>(), -0.3295967242, 1e-5);
}

// y = r + gamma (1 - d) (min Q' - alpha log pi'): 1 + 0.99 (10 + 0.2) = 11.098; a terminal
// transition keeps its reward only; with gamma 0.9 and alpha 0.5: -0.5 + 0.9 (3 - 0.125).
TEST(SacMathTest, SoftQTargetByHand) {
  auto y = SoftQTarget(torch::tensor({1.0f, 2.0f}), torch::tensor({0.0f, 1.0f}),
                       torch::tensor({10.0f, 5.0f}), torch::tensor({-1.0f, -2.0f}), 0.2, 0.99);
  EXPECT_NEAR(y[0].item<float>(), 11.098f, 1e-4);
  EXPECT_NEAR(y[1].item<float>(), 2.0f, 1e-6);
  auto z = SoftQTarget(torch::tensor({-0.5f}), torch::tensor({0.0f}), torch::tensor({3.0f}),
                       torch::tensor({0.25f}), 0.5, 0.9);
  EXPECT_NEAR(z.item<float>(), 2.0875f, 1e-5);
}

// One-step bandit transitions: reward -(a - 0.5)^2 for a in [-1, 1], every transition
// terminal.
replay::TransitionBatch Bandit(int n, std::mt19937_64& rng) {
  replay::TransitionBatch b;
  b.Resize(n, 1, 1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int i = 0; i < n; ++i) {
    b.obs[i] = b.next_obs[i] = 0.0f;
    b.actions[i] = u(rng);
    b.rewards[i] = -(b.actions[i] - 0.5f) * (b.actions[i] - 0.5f);
    b.terminated[i] = 1;
  }
  return b;
}

SacConfig Small() {
  SacConfig c;
  c.hidden = {32, 32};
  c.batch_size = 64;
  return c;
}

TEST(SacTest, TargetNetworksMoveByTau) {
  SacConfig c = Small();
  c.tau = 0.25;
  Sac sac(1, {-1.0f}, {1.0f}, c, 3);
  // the targets start equal to the critics.
  for (size_t i = 0; i < sac.qf1()->parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(sac.qf1()->parameters()[i], sac.qf1_target()->parameters()[i]));
  }
  std::vector<torch::Tensor> before_target, before_online;
  for (const auto& p : sac.qf1_target()->parameters()) before_target.push_back(p.clone());
  std::mt19937_64 rng(1);
  ASSERT_TRUE(sac.Update(Bandit(64, rng)).ok());
  const auto online = sac.qf1()->parameters(), target = sac.qf1_target()->parameters();
  bool moved = false;
  for (size_t i = 0; i < target.size(); ++i) {
    const torch::Tensor want = 0.25 * online[i] + 0.75 * before_target[i];
    EXPECT_TRUE(torch::allclose(target[i], want, 1e-6, 1e-7)) << "parameter " << i;
    moved = moved || !torch::equal(target[i], before_target[i]);
  }
  EXPECT_TRUE(moved);
}

// The policy step does not touch the critics' gradients: the actor's loss flows through the
// critics into the action only (their weight gradients would be zeroed unused before the
// next critic step). Two learners from one seed draw the same critic step; one also takes a
// policy step (policy_frequency 1), the other not yet (2): their critics' gradients are the
// critic loss's in both, and the critics still train afterwards (requires_grad restored).
TEST(SacTest, ThePolicyStepLeavesTheCriticsGradientsAsTheCriticStepLeftThem) {
  auto grads_after_one_update = [](int policy_frequency) {
    SacConfig c = Small();
    c.policy_frequency = policy_frequency;
    Sac sac(1, {-1.0f}, {1.0f}, c, 7);
    std::mt19937_64 rng(4);
    auto m = sac.Update(Bandit(64, rng));
    EXPECT_TRUE(m.ok());
    EXPECT_EQ(m->policy_updated, policy_frequency == 1);
    std::vector<torch::Tensor> g;
    for (auto* q : {&sac.qf1(), &sac.qf2()}) {
      for (const auto& p : (*q)->parameters()) {
        EXPECT_TRUE(p.requires_grad());
        g.push_back(p.grad().clone());
      }
    }
    // the critics still learn on the next update
    std::vector<torch::Tensor> before;
    for (const auto& p : sac.qf1()->parameters()) before.push_back(p.clone());
    EXPECT_TRUE(sac.Update(Bandit(64, rng)).ok());
    bool moved = false;
    for (size_t i = 0; i < before.size(); ++i) {
      moved = moved || !torch::equal(before[i], sac.qf1()->parameters()[i]);
    }
    EXPECT_TRUE(moved);
    return g;
  };
  const auto with_policy_step = grads_after_one_update(1);
  const auto critic_step_only = grads_after_one_update(2);
  ASSERT_EQ(with_policy_step.size(), critic_step_only.size());
  for (size_t i = 0; i < with_policy_step.size(); ++i) {
    EXPECT_TRUE(torch::equal(with_policy_step[i], critic_step_only[i])) << "critic parameter " << i;
  }
}

// The temperature goes up when the policy's entropy is below the target and down when
// above: with a target entropy of +5 nats (unreachable for one bounded dimension) alpha
// rises; with -5 (far below a fresh policy's) it falls.
TEST(SacTest, TemperatureMovesTowardTheTargetEntropy) {
  for (double target : {5.0, -5.0}) {
    SacConfig c = Small();
    c.target_entropy = target;
    c.policy_frequency = 1;
    Sac sac(1, {-1.0f}, {1.0f}, c, 4);
    const double start = sac.alpha();
    std::mt19937_64 rng(2);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(sac.Update(Bandit(64, rng)).ok());
    if (target > 0) {
      EXPECT_GT(sac.alpha(), start * 1.01) << "target " << target;
    } else {
      EXPECT_LT(sac.alpha(), start / 1.01) << "target " << target;
    }
  }
}

// The whole step learns: on the bandit, the critics fit the reward and the policy's mean
// action moves to its maximum at 0.5.
TEST(SacTest, LearnsABandit) {
  Sac sac(1, {-1.0f}, {1.0f}, Small(), 5);
  std::mt19937_64 rng(3);
  SacStepMetrics m;
  for (int i = 0; i < 1500; ++i) {
    auto r = sac.Update(Bandit(64, rng));
    ASSERT_TRUE(r.ok());
    m = *r;
  }
  torch::NoGradGuard no_grad;
  const float mean = sac.actor()->Sample(torch::zeros({1, 1})).mean_action.item<float>();
  EXPECT_NEAR(mean, 0.5f, 0.1f);
  EXPECT_LT(m.qf1_loss, 0.01);
  EXPECT_EQ(sac.steps(), 1500);
}

TEST(SacTest, ABatchOfTheWrongShapeIsRefused) {
  Sac sac(3, {-1.0f, -1.0f}, {1.0f, 1.0f}, Small(), 6);
  replay::TransitionBatch b;
  b.Resize(4, 2, 2);  // obs of 2 values, the run has 3
  auto r = sac.Update(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("this run has 3 and 2"), std::string::npos) << r.status().ToString();
}

TEST(SacConfigTest, DefaultsAreCleanRlsAndBadValuesAreNamed) {
  SacConfig c;
  EXPECT_EQ(c.hidden, (std::vector<int>{256, 256}));
  EXPECT_EQ(c.batch_size, 256);
  EXPECT_EQ(c.q_lr, 1e-3);
  EXPECT_EQ(c.policy_lr, 3e-4);
  EXPECT_EQ(c.policy_frequency, 2);
  EXPECT_EQ(c.learning_starts, 5000);
  EXPECT_EQ(c.tau, 0.005);
  EXPECT_TRUE(c.Validate().ok());
  c.tau = 0;
  EXPECT_NE(c.Validate().message().find("learner.sac.tau"), std::string::npos);
}

// The actors' Eigen policy computes what the learner's libtorch actor does, on random
// observations, after some training (weights away from their initialization): mean and
// log-std within 1e-5, the deterministic action tanh(mean) scale + bias, and a sampled
// action's log-probability equal to libtorch's SquashedLogProb of its pre-squash value.
TEST(SacExportTest, EigenPolicyMatchesLibtorch) {
  SacConfig c = Small();
  c.hidden = {64, 48};
  const int obs_dim = 5;
  Sac sac(obs_dim, {-2.0f, 0.0f, -0.4f}, {2.0f, 1.0f, 0.4f}, c, 7);
  std::mt19937_64 rng(4);
  replay::TransitionBatch b;
  b.Resize(64, obs_dim, 3);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (int step = 0; step < 30; ++step) {
    for (auto& v : b.obs) v = n(rng);
    for (auto& v : b.next_obs) v = n(rng);
    for (int i = 0; i < 64; ++i) {
      b.actions[i * 3] = std::tanh(n(rng)) * 2;
      b.actions[i * 3 + 1] = 0.5f + 0.4f * std::tanh(n(rng));
      b.actions[i * 3 + 2] = 0.3f * std::tanh(n(rng));
      b.rewards[i] = n(rng);
      b.terminated[i] = i % 7 == 0;
    }
    ASSERT_TRUE(sac.Update(b).ok());
  }
  const proto::PolicyWeights w = ExportSquashedGaussian(sac.actor(), 12);
  auto det = actor::SquashedGaussianPolicy::FromProto(w, obs_dim, 3, true);
  auto sto = actor::SquashedGaussianPolicy::FromProto(w, obs_dim, 3, false);
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  ASSERT_TRUE(sto.ok());
  EXPECT_EQ(det->version(), 12u);
  const int B = 200;
  std::vector<float> obs(B * obs_dim);
  for (auto& v : obs) v = 3.0f * n(rng);
  torch::NoGradGuard no_grad;
  const torch::Tensor t_obs = torch::from_blob(obs.data(), {B, obs_dim}).clone();
  auto [mean, log_std] = sac.actor()->forward(t_obs);
  actor::RowMatrix e_mean, e_log_std;
  det->Forward(obs, B, e_mean, e_log_std);
  float max_diff = 0.0f;
  for (int i = 0; i < B; ++i) {
    for (int j = 0; j < 3; ++j) {
      max_diff = std::max(max_diff, std::abs(e_mean(i, j) - mean[i][j].item<float>()));
      max_diff = std::max(max_diff, std::abs(e_log_std(i, j) - log_std[i][j].item<float>()));
    }
  }
  EXPECT_LT(max_diff, 1e-5f);
  std::vector<float> actions(B * 3), logprobs(B), values;
  det->Act(obs, B, rng, actions, logprobs, values);
  const torch::Tensor want = sac.actor()->Sample(t_obs).mean_action;
  for (int i = 0; i < B; ++i) {
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(actions[i * 3 + j], want[i][j].item<float>(), 1e-5);
  }
  EXPECT_FALSE(det->outputs().logprob);
  sto->Act(obs, B, rng, actions, logprobs, values);
  const float scale[3] = {2.0f, 0.5f, 0.4f}, bias[3] = {0.0f, 0.5f, 0.0f};
  int checked = 0;
  for (int i = 0; i < B; ++i) {
    bool inside = true;
    std::vector<float> x(3);
    for (int j = 0; j < 3; ++j) {
      const float y = (actions[i * 3 + j] - bias[j]) / scale[j];
      ASSERT_LE(std::abs(y), 1.0f);  // within the action bounds
      inside = inside && std::abs(y) < 0.99f;
      x[j] = std::atanh(y);
    }
    if (!inside) continue;  // atanh is too ill-conditioned near the bounds to compare
    ++checked;
    const float lp = SquashedLogProb(torch::tensor(x).reshape({1, 3}), mean[i].reshape({1, 3}),
                                     log_std[i].reshape({1, 3}), torch::tensor({2.0f, 0.5f, 0.4f}))
                         .item<float>();
    EXPECT_NEAR(logprobs[i], lp, 2e-3) << i;
  }
  EXPECT_GT(checked, B / 2);
  // a message that does not fit is refused with the reason
  auto wrong = actor::SquashedGaussianPolicy::FromProto(w, obs_dim + 1, 3, false);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("input is 5 wide"), std::string::npos) << wrong.status().ToString();
  auto wrong_act = actor::SquashedGaussianPolicy::FromProto(w, obs_dim, 2, false);
  ASSERT_FALSE(wrong_act.ok());
  EXPECT_NE(wrong_act.status().message().find("mean head"), std::string::npos) << wrong_act.status().ToString();
}

ExperimentConfig SacRunConfig(const std::string& extra = "") {
  auto cfg = ParseRunConfig(
      "env:\n  id: Pendulum-v1\n  num_envs: 1\nactors:\n  steps_per_chunk: 16\n"
      "replay:\n  capacity: 10000\n  min_size: 500\nlearner:\n  algo: sac\n"
      "  sac:\n    hidden: [32, 32]\n    batch_size: 64\n    learning_starts: 500\n" + extra);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return cfg.ok() ? *cfg : ExperimentConfig{};
}

// Before its first update the algorithm asks the actors for uniform random actions; after,
// for its squashed Gaussian. A checkpoint restores networks, optimizers, temperature and
// step count: the restored algorithm's next update equals the original's.
TEST(SacAlgorithmTest, WarmUpThenSquashedGaussianAndACheckpointRestoresEverything) {
  const ExperimentConfig cfg = SacRunConfig();
  auto spec = envs::GetSpec("Pendulum-v1");
  ASSERT_TRUE(spec.ok());
  auto a = SacAlgorithm::Create(cfg, *spec);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE((*a)->ExportPolicy(0).uniform_random());
  auto random = actor::PolicyFromWeights((*a)->ExportPolicy(3), *spec, {});
  ASSERT_TRUE(random.ok());
  EXPECT_EQ((*random)->version(), 3u);
  std::mt19937_64 rng(5);
  replay::TransitionBatch b;
  b.Resize(64, 3, 1);
  std::normal_distribution<float> n(0.0f, 1.0f);
  auto fill = [&] {
    for (auto& v : b.obs) v = n(rng);
    for (auto& v : b.next_obs) v = n(rng);
    for (auto& v : b.actions) v = std::tanh(n(rng)) * 2;
    for (auto& v : b.rewards) v = n(rng);
  };
  for (int i = 0; i < 5; ++i) {
    fill();
    ASSERT_TRUE((*a)->Update(b, {i, 0}).ok());
  }
  const proto::PolicyWeights w = (*a)->ExportPolicy(9);
  EXPECT_FALSE(w.uniform_random());
  ASSERT_TRUE(w.has_squashed_gaussian());
  auto policy = actor::PolicyFromWeights(w, *spec, {});
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  testing::TempDir dir;
  std::string state;
  ASSERT_TRUE((*a)->Save(dir.path(), "", &state).ok());
  auto restored = SacAlgorithm::Create(cfg, *spec);
  ASSERT_TRUE(restored.ok());
  ASSERT_TRUE((*restored)->Restore(dir.path(), state).ok());
  EXPECT_EQ((*restored)->sac().steps(), 5);
  EXPECT_DOUBLE_EQ((*restored)->sac().alpha(), (*a)->sac().alpha());
  fill();
  torch::manual_seed(11);
  auto next_a = (*a)->Update(b, {5, 0});
  torch::manual_seed(11);
  auto next_r = (*restored)->Update(b, {5, 0});
  ASSERT_TRUE(next_a.ok() && next_r.ok());
  for (size_t i = 0; i < next_a->size(); ++i) EXPECT_DOUBLE_EQ((*next_a)[i], (*next_r)[i]) << i;
  // a damaged state is named
  EXPECT_EQ((*restored)->Restore(dir.path(), "\xff\xff").code(), StatusCode::kDataLoss);
}

// A SAC run needs the store's replay table, a sample the table serves, and the warm-up
// ending when sampling starts; discrete or unbounded action spaces are refused.
TEST(SacAlgorithmTest, RunSettingsThatCannotWorkAreNamed) {
  auto no_table = ParseRunConfig("env:\n  id: Pendulum-v1\nlearner:\n  algo: sac\n");
  ASSERT_FALSE(no_table.ok());
  EXPECT_NE(no_table.status().message().find("'replay.capacity' must be > 0"), std::string::npos)
      << no_table.status().ToString();
  auto small_sample = ParseRunConfig(
      "env:\n  id: Pendulum-v1\nreplay:\n  capacity: 10000\n  max_sample: 100\nlearner:\n  algo: sac\n");
  ASSERT_FALSE(small_sample.ok());
  EXPECT_NE(small_sample.status().message().find("below learner.sac.batch_size (256)"), std::string::npos)
      << small_sample.status().ToString();
  auto starts = ParseRunConfig(
      "env:\n  id: Pendulum-v1\nreplay:\n  capacity: 10000\n  min_size: 1000\nlearner:\n  algo: sac\n");
  ASSERT_FALSE(starts.ok());
  EXPECT_NE(starts.status().message().find("must equal learner.sac.learning_starts (5000)"), std::string::npos)
      << starts.status().ToString();
  auto ppo_with_table = ParseRunConfig("replay:\n  capacity: 10000\n");
  ASSERT_FALSE(ppo_with_table.ok());
  EXPECT_NE(ppo_with_table.status().message().find("ppo takes rollouts"), std::string::npos)
      << ppo_with_table.status().ToString();
  ExperimentConfig cfg = SacRunConfig();
  auto cartpole = SacAlgorithm::Create(cfg, *envs::GetSpec("CartPole-v1"));
  ASSERT_FALSE(cartpole.ok());
  EXPECT_NE(cartpole.status().message().find("continuous action space"), std::string::npos);
}

}  // namespace
}  // namespace fleet::learner
