#include "envs/classic_control/cartpole.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "envs/registry.h"

namespace fleet::envs {
namespace {

std::unique_ptr<Env> Make(const std::map<std::string, std::string>& options = {}) {
  auto env = MakeEnv("CartPole-v1", options);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(env).value();
}

TEST(CartPoleTest, SpecMatchesGymnasium) {
  auto env = Make();
  const EnvSpec& s = env->spec();
  EXPECT_EQ(s.id, "CartPole-v1");
  EXPECT_EQ(s.max_episode_steps, 500);
  ASSERT_TRUE(s.reward_threshold.has_value());
  EXPECT_DOUBLE_EQ(*s.reward_threshold, 475.0);
  EXPECT_TRUE(s.action_space.is_discrete());
  EXPECT_EQ(s.action_space.n, 2);
  EXPECT_EQ(s.observation_space.shape, std::vector<int>{4});
  EXPECT_EQ(s.observation_space.dtype, DType::kFloat32);
  EXPECT_NEAR(s.observation_space.high[0], 4.8, 1e-12);
  EXPECT_NEAR(s.observation_space.high[2], 0.41887902047863906, 1e-12);
  EXPECT_TRUE(std::isinf(s.observation_space.high[1]));
}

TEST(CartPoleTest, ResetIsUniformInSmallBoxAndSeeded) {
  auto a = Make(), b = Make();
  std::vector<float> oa(4), ob(4);
  a->Reset(42, oa);
  b->Reset(42, ob);
  EXPECT_EQ(oa, ob);
  for (float v : oa) EXPECT_LE(std::abs(v), 0.05f);
  b->Reset(43, ob);
  EXPECT_NE(oa, ob);
}

TEST(CartPoleTest, SameSeedSameTrajectory) {
  auto a = Make(), b = Make();
  std::vector<float> oa(4), ob(4);
  a->Reset(7, oa);
  b->Reset(7, ob);
  for (int t = 0; t < 300; ++t) {
    const float act[1] = {static_cast<float>((t * 7919) % 3 == 0)};
    auto ra = a->Step(act, oa);
    auto rb = b->Step(act, ob);
    ASSERT_TRUE(ra.ok() && rb.ok());
    ASSERT_EQ(oa, ob);
    ASSERT_EQ(ra->terminated, rb->terminated);
    if (ra->terminated) {
      a->Reset(std::nullopt, oa);
      b->Reset(std::nullopt, ob);
      ASSERT_EQ(oa, ob);
    }
  }
}

TEST(CartPoleTest, OneStepMatchesHandComputedEuler) {
  auto env = Make();
  auto* cp = dynamic_cast<CartPole*>(env.get());
  ASSERT_NE(cp, nullptr);
  std::vector<float> obs(4);
  env->Reset(0, obs);
  cp->set_state({0.01, -0.02, 0.03, 0.04});
  const float push_right[1] = {1.0f};
  auto r = env->Step(push_right, obs);
  ASSERT_TRUE(r.ok());
  // Gymnasium's equations, evaluated by hand for this state and force +10.
  const double th = 0.03, thd = 0.04, f = 10.0;
  const double temp = (f + 0.05 * thd * thd * std::sin(th)) / 1.1;
  const double thacc = (9.8 * std::sin(th) - std::cos(th) * temp) /
                       (0.5 * (4.0 / 3.0 - 0.1 * std::cos(th) * std::cos(th) / 1.1));
  const double xacc = temp - 0.05 * thacc * std::cos(th) / 1.1;
  const auto& s = cp->state();
  EXPECT_NEAR(s[0], 0.01 + 0.02 * -0.02, 1e-12);
  EXPECT_NEAR(s[1], -0.02 + 0.02 * xacc, 1e-12);
  EXPECT_NEAR(s[2], 0.03 + 0.02 * 0.04, 1e-12);
  EXPECT_NEAR(s[3], 0.04 + 0.02 * thacc, 1e-12);
  EXPECT_FLOAT_EQ(obs[3], static_cast<float>(s[3]));
  EXPECT_DOUBLE_EQ(r->reward, 1.0);
  EXPECT_FALSE(r->terminated);
}

TEST(CartPoleTest, TerminatesPastAngleThresholdWithRewardOne) {
  auto env = Make();
  auto* cp = dynamic_cast<CartPole*>(env.get());
  std::vector<float> obs(4);
  env->Reset(0, obs);
  cp->set_state({0.0, 0.0, 0.2094, 1.0});  // just under 12 degrees, falling
  const float a[1] = {0.0f};
  auto r = env->Step(a, obs);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->terminated);
  EXPECT_DOUBLE_EQ(r->reward, 1.0);
}

TEST(CartPoleTest, SuttonBartoRewardOption) {
  auto env = Make({{"sutton_barto_reward", "true"}});
  auto* cp = dynamic_cast<CartPole*>(env.get());
  std::vector<float> obs(4);
  env->Reset(0, obs);
  const float a[1] = {1.0f};
  auto r = env->Step(a, obs);
  EXPECT_DOUBLE_EQ(r->reward, 0.0);
  cp->set_state({2.39, 1.0, 0.0, 0.0});
  r = env->Step(a, obs);
  EXPECT_TRUE(r->terminated);
  EXPECT_DOUBLE_EQ(r->reward, -1.0);
}

TEST(CartPoleTest, TruncatesAt500Steps) {
  auto env = Make();
  auto* cp = dynamic_cast<CartPole*>(env.get());
  std::vector<float> obs(4);
  env->Reset(0, obs);
  for (int t = 1; t <= 500; ++t) {
    cp->set_state({0.0, 0.0, 0.0, 0.0});  // keep it upright
    const float a[1] = {static_cast<float>(t % 2)};
    auto r = env->Step(a, obs);
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->terminated);
    ASSERT_EQ(r->truncated, t == 500) << "step " << t;
  }
}

TEST(CartPoleTest, BadActionsAreRejectedWithoutStepping) {
  auto env = Make();
  auto* cp = dynamic_cast<CartPole*>(env.get());
  std::vector<float> obs(4);
  env->Reset(0, obs);
  const auto before = cp->state();
  const float out_of_range[1] = {2.0f};
  const float fractional[1] = {0.5f};
  const float nan[1] = {std::nanf("")};
  const float two_values[2] = {0.0f, 1.0f};
  for (auto action : {std::span<const float>(out_of_range), std::span<const float>(fractional),
                      std::span<const float>(nan), std::span<const float>(two_values)}) {
    auto r = env->Step(action, obs);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("CartPole-v1"), std::string::npos);
  }
  EXPECT_EQ(cp->state(), before);
  EXPECT_EQ(env->elapsed_steps(), 0);
}

TEST(RegistryTest, UnknownIdListsKnownIds) {
  auto env = MakeEnv("CartPole-v0");
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), StatusCode::kNotFound);
  EXPECT_NE(env.status().message().find("CartPole-v1"), std::string::npos)
      << env.status().message();
}

TEST(RegistryTest, UnknownOrMalformedOptionIsNamed) {
  auto env = MakeEnv("CartPole-v1", {{"gravity", "3"}});
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("unknown option 'gravity'"), std::string::npos);
  auto env2 = MakeEnv("CartPole-v1", {{"sutton_barto_reward", "maybe"}});
  ASSERT_FALSE(env2.ok());
  EXPECT_NE(env2.status().message().find("sutton_barto_reward"), std::string::npos);
}

}  // namespace
}  // namespace fleet::envs
