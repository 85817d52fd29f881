#include "envs/vector_env.h"

#include <random>

#include <gtest/gtest.h>

#include "envs/classic_control/cartpole.h"

namespace fleet::envs {
namespace {

TEST(VectorEnvTest, SeedsEnvsWithSeedPlusIndex) {
  auto vec = VectorEnv::Create("CartPole-v1", 3);
  ASSERT_TRUE(vec.ok());
  std::vector<float> obs(12), single(4);
  (*vec)->Reset(100, obs);
  for (int i = 0; i < 3; ++i) {
    auto env = MakeEnv("CartPole-v1");
    (*env)->Reset(100 + i, single);
    EXPECT_EQ(std::vector<float>(obs.begin() + 4 * i, obs.begin() + 4 * i + 4), single);
  }
}

TEST(VectorEnvTest, SameStepAutoResetReportsFinalObservationAndEpisodeStats) {
  auto made = VectorEnv::Create("CartPole-v1", 2);
  ASSERT_TRUE(made.ok());
  VectorEnv& vec = **made;
  std::vector<float> obs(8), rewards(2);
  std::vector<uint8_t> term(2), trunc(2);
  VectorStepOutput out;
  vec.Reset(0, obs);
  // push env 0 right until it falls; env 1 alternates and survives longer.
  int steps = 0;
  while (true) {
    const float actions[2] = {1.0f, static_cast<float>(steps % 2)};
    ASSERT_TRUE(vec.Step(actions, obs, rewards, term, trunc, out).ok());
    ++steps;
    if (term[0]) break;
    ASSERT_TRUE(out.final_indices.empty());
    ASSERT_LT(steps, 500);
  }
  ASSERT_EQ(out.final_indices, std::vector<int>{0});
  ASSERT_EQ(out.final_observations.size(), 4u);
  // the final observation is out of bounds; the returned one is a fresh reset.
  const bool final_out = std::abs(out.final_observations[0]) > 2.4f ||
                         std::abs(out.final_observations[2]) > 0.2094f;
  EXPECT_TRUE(final_out);
  for (int k = 0; k < 4; ++k) EXPECT_LE(std::abs(obs[k]), 0.05f);
  EXPECT_EQ(out.episode_lengths, std::vector<int>{steps});
  EXPECT_DOUBLE_EQ(out.episode_returns[0], steps);
  EXPECT_EQ(vec.env(0).elapsed_steps(), 0);
}

TEST(VectorEnvTest, InvalidActionNamesTheEnvAndStepsNothing) {
  auto made = VectorEnv::Create("CartPole-v1", 2);
  VectorEnv& vec = **made;
  std::vector<float> obs(8), rewards(2);
  std::vector<uint8_t> term(2), trunc(2);
  VectorStepOutput out;
  vec.Reset(0, obs);
  const float bad[2] = {0.0f, 5.0f};
  const std::vector<float> before = obs;
  Status st = vec.Step(bad, obs, rewards, term, trunc, out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("env 1"), std::string::npos) << st.message();
  EXPECT_EQ(obs, before);
  EXPECT_EQ(vec.env(0).elapsed_steps(), 0);
  const float short_actions[1] = {0.0f};
  EXPECT_FALSE(vec.Step(short_actions, obs, rewards, term, trunc, out).ok());
}

}  // namespace
}  // namespace fleet::envs

namespace fleet::envs {
namespace {

// Worker threads change nothing but speed: same seed, same actions, same outputs.
TEST(VectorEnvTest, ThreadedStepsEqualSingleThreaded) {
  for (const char* id : {"CartPole-v1", "HalfCheetah-v5", "Hopper-v5"}) {
    auto one = std::move(VectorEnv::Create(id, 6, {}, 1)).value();
    auto three = std::move(VectorEnv::Create(id, 6, {}, 3)).value();
    const int d = one->obs_dim(), w = one->action_width(), n = 6;
    std::vector<float> o1(n * d), o3(n * d), r1(n), r3(n), act(n * w);
    std::vector<uint8_t> t1(n), t3(n), u1(n), u3(n);
    VectorStepOutput f1, f3;
    one->Reset(5, o1);
    three->Reset(5, o3);
    std::mt19937 rng(0);
    int ended = 0;
    for (int step = 0; step < 300; ++step) {
      for (auto& a : act) {
        a = one->spec().action_space.is_discrete() ? static_cast<float>(rng() % 2)
                                                   : std::uniform_real_distribution<float>(-1, 1)(rng);
      }
      ASSERT_TRUE(one->Step(act, o1, r1, t1, u1, f1).ok());
      ASSERT_TRUE(three->Step(act, o3, r3, t3, u3, f3).ok());
      ASSERT_EQ(o1, o3) << id << " step " << step;
      ASSERT_EQ(r1, r3);
      ASSERT_EQ(t1, t3);
      ASSERT_EQ(f1.final_indices, f3.final_indices);
      ASSERT_EQ(f1.final_observations, f3.final_observations);
      ASSERT_EQ(f1.episode_returns, f3.episode_returns);
      ended += static_cast<int>(f1.final_indices.size());
    }
    if (std::string(id) != "HalfCheetah-v5") EXPECT_GT(ended, 0) << id;
  }
  EXPECT_FALSE(VectorEnv::Create("CartPole-v1", 2, {}, 0).ok());
}

}  // namespace
}  // namespace fleet::envs
