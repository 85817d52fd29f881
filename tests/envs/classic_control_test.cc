// Classic-control envs besides CartPole (cartpole_test.cc): specs as Gymnasium registers
// them, same-seed determinism, time limits, and one step of each model against the
// equations evaluated by hand. Step-by-step agreement with Gymnasium itself is
// tests/python/test_gymnasium_alignment.py.
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "envs/registry.h"

namespace fleet::envs {
namespace {

struct SpecCase {
  const char* id;
  int obs_dim;
  bool discrete;
  int n_or_dim;
  int max_steps;
  std::optional<double> threshold;
};

class ClassicSpecTest : public ::testing::TestWithParam<SpecCase> {};

TEST_P(ClassicSpecTest, MatchesGymnasiumRegistration) {
  const SpecCase c = GetParam();
  auto env = MakeEnv(c.id);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  const EnvSpec& s = (*env)->spec();
  EXPECT_EQ(s.id, c.id);
  EXPECT_EQ((*env)->obs_dim(), c.obs_dim);
  EXPECT_EQ(s.action_space.is_discrete(), c.discrete);
  if (c.discrete) {
    EXPECT_EQ(s.action_space.n, c.n_or_dim);
  } else {
    EXPECT_EQ(s.action_space.FlatDim(), c.n_or_dim);
  }
  EXPECT_EQ(s.max_episode_steps, c.max_steps);
  EXPECT_EQ(s.reward_threshold, c.threshold);
}

TEST_P(ClassicSpecTest, SameSeedSameTrajectoryAndStateRoundTrips) {
  const SpecCase c = GetParam();
  auto a = std::move(MakeEnv(c.id)).value(), b = std::move(MakeEnv(c.id)).value();
  std::vector<float> oa(c.obs_dim), ob(c.obs_dim);
  a->Reset(11, oa);
  b->Reset(11, ob);
  ASSERT_EQ(oa, ob);
  std::mt19937 rng(0);
  for (int t = 0; t < 300; ++t) {
    std::vector<float> act(c.discrete ? 1 : c.n_or_dim);
    for (auto& x : act) {
      x = c.discrete ? static_cast<float>(rng() % c.n_or_dim)
                     : std::uniform_real_distribution<float>(-1.5f, 1.5f)(rng);
    }
    auto ra = a->Step(act, oa);
    auto rb = b->Step(act, ob);
    ASSERT_TRUE(ra.ok() && rb.ok());
    ASSERT_EQ(oa, ob) << "step " << t;
    ASSERT_EQ(ra->reward, rb->reward);
    if (ra->terminated || ra->truncated) {
      a->Reset(std::nullopt, oa);
      b->Reset(std::nullopt, ob);
    }
  }
  auto* sa = dynamic_cast<PhysicalStateAccess*>(a.get());
  ASSERT_NE(sa, nullptr);
  const std::vector<double> st = sa->GetState();
  auto* sb = dynamic_cast<PhysicalStateAccess*>(b.get());
  ASSERT_TRUE(sb->SetState(st).ok());
  EXPECT_EQ(sb->GetState(), st);
  std::vector<double> wrong(st.size() + 1, 0.0);
  EXPECT_FALSE(sb->SetState(wrong).ok());
}

TEST_P(ClassicSpecTest, TruncatesAtTheTimeLimit) {
  const SpecCase c = GetParam();
  auto env = std::move(MakeEnv(c.id)).value();
  std::vector<float> obs(c.obs_dim);
  env->Reset(3, obs);
  auto* s = dynamic_cast<PhysicalStateAccess*>(env.get());
  const std::vector<double> start = s->GetState();
  for (int t = 1; t <= c.max_steps; ++t) {
    ASSERT_TRUE(s->SetState(start).ok());  // stay away from goals
    const std::vector<float> act(c.discrete ? 1 : c.n_or_dim, c.discrete ? 1.0f : 0.0f);
    auto r = env->Step(act, obs);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->truncated, t == c.max_steps) << t;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Envs, ClassicSpecTest,
    ::testing::Values(SpecCase{"CartPole-v1", 4, true, 2, 500, 475.0},
                      SpecCase{"Pendulum-v1", 3, false, 1, 200, std::nullopt},
                      SpecCase{"MountainCar-v0", 2, true, 3, 200, -110.0},
                      SpecCase{"MountainCarContinuous-v0", 2, false, 1, 999, 90.0},
                      SpecCase{"Acrobot-v1", 6, true, 3, 500, -100.0}),
    [](const auto& info) {
      std::string n = info.param.id;
      for (char& ch : n) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

PhysicalStateAccess* State(std::unique_ptr<Env>& env) {
  return dynamic_cast<PhysicalStateAccess*>(env.get());
}

TEST(PendulumTest, OneStepByHandAndTorqueClipping) {
  auto env = std::move(MakeEnv("Pendulum-v1")).value();
  std::vector<float> obs(3);
  env->Reset(0, obs);
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{3.5, 1.0}).ok());
  const float u[1] = {5.0f};  // clipped to 2
  auto r = env->Step(u, obs);
  ASSERT_TRUE(r.ok());
  const double th_n = 3.5 - 2 * std::numbers::pi;  // angle_normalize
  EXPECT_NEAR(r->reward, -(th_n * th_n + 0.1 * 1.0 + 0.001 * 4.0), 1e-12);
  const double thdot = 1.0 + (15.0 * std::sin(3.5) + 3.0 * 2.0) * 0.05;
  const auto s = State(env)->GetState();
  EXPECT_NEAR(s[1], thdot, 1e-12);
  EXPECT_NEAR(s[0], 3.5 + thdot * 0.05, 1e-12);
  EXPECT_FLOAT_EQ(obs[0], static_cast<float>(std::cos(s[0])));
  EXPECT_FALSE(r->terminated || r->truncated);
}

TEST(PendulumTest, GravityOption) {
  auto env = std::move(MakeEnv("Pendulum-v1", {{"g", "9.81"}})).value();
  std::vector<float> obs(3);
  env->Reset(0, obs);
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{1.0, 0.0}).ok());
  const float u[1] = {0.0f};
  ASSERT_TRUE(env->Step(u, obs).ok());
  EXPECT_NEAR(State(env)->GetState()[1], 1.5 * 9.81 * std::sin(1.0) * 0.05, 1e-12);
}

TEST(MountainCarTest, OneStepByHandAndGoal) {
  auto env = std::move(MakeEnv("MountainCar-v0")).value();
  std::vector<float> obs(2);
  env->Reset(0, obs);
  EXPECT_GE(obs[0], -0.6f);
  EXPECT_LE(obs[0], -0.4f);
  EXPECT_EQ(obs[1], 0.0f);
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{-0.5, 0.01}).ok());
  const float right[1] = {2.0f};
  auto r = env->Step(right, obs);
  const double v = 0.01 + 0.001 - 0.0025 * std::cos(-1.5);
  EXPECT_NEAR(State(env)->GetState()[1], v, 1e-15);
  EXPECT_NEAR(State(env)->GetState()[0], -0.5 + v, 1e-15);
  EXPECT_DOUBLE_EQ(r->reward, -1.0);
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{0.49, 0.02}).ok());
  r = env->Step(right, obs);
  EXPECT_TRUE(r->terminated);
  // at the left wall a leftward velocity is zeroed.
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{-1.2, -0.05}).ok());
  const float left[1] = {0.0f};
  ASSERT_TRUE(env->Step(left, obs).ok());
  EXPECT_EQ(State(env)->GetState()[1], 0.0);
}

TEST(MountainCarContinuousTest, RewardUsesTheUnclippedAction) {
  auto env = std::move(MakeEnv("MountainCarContinuous-v0")).value();
  std::vector<float> obs(2);
  env->Reset(0, obs);
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{-0.5, 0.0}).ok());
  const float a[1] = {3.0f};  // force clipped to 1, penalty 0.1 * 9
  auto r = env->Step(a, obs);
  EXPECT_NEAR(r->reward, -0.9, 1e-6);
  const double v = 1.0 * 0.0015 - 0.0025 * std::cos(-1.5);
  EXPECT_NEAR(State(env)->GetState()[1], static_cast<float>(v), 1e-9);
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{0.44, 0.02}).ok());
  const float zero[1] = {0.0f};
  r = env->Step(zero, obs);
  EXPECT_TRUE(r->terminated);
  EXPECT_NEAR(r->reward, 100.0, 1e-9);
}

TEST(AcrobotTest, TerminatesWithTipAboveTheLineAndWrapsAngles) {
  auto env = std::move(MakeEnv("Acrobot-v1")).value();
  std::vector<float> obs(6);
  env->Reset(0, obs);
  for (int i = 0; i < 4; ++i) EXPECT_LE(std::abs(State(env)->GetState()[i]), 0.1);
  // hanging down at rest with no torque stays down, reward -1.
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{0, 0, 0, 0}).ok());
  const float none[1] = {1.0f};
  auto r = env->Step(none, obs);
  EXPECT_FALSE(r->terminated);
  EXPECT_DOUBLE_EQ(r->reward, -1.0);
  EXPECT_NEAR(State(env)->GetState()[0], 0.0, 1e-12);
  // pointing straight up: -cos(pi) - cos(pi) = 2 > 1.
  ASSERT_TRUE(State(env)->SetState(std::vector<double>{std::numbers::pi - 0.01, 0, 0, 0}).ok());
  r = env->Step(none, obs);
  EXPECT_TRUE(r->terminated);
  EXPECT_DOUBLE_EQ(r->reward, 0.0);
  for (double v : State(env)->GetState()) EXPECT_TRUE(std::isfinite(v));
  EXPECT_LE(std::abs(State(env)->GetState()[0]), std::numbers::pi);
}

}  // namespace
}  // namespace fleet::envs
