#include "learner/sac.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "learner/algorithm_registry.h"

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

}  // namespace
}  // namespace fleet::learner
