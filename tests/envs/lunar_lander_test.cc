#include "envs/box2d/lunar_lander.h"

#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace fleet::envs {
namespace {

double HeuristicEpisode(Env& env, bool continuous, uint64_t seed, int* steps = nullptr) {
  std::vector<float> obs(8), action(continuous ? 2 : 1);
  env.Reset(seed, obs);
  double total = 0.0;
  while (true) {
    LunarLander::Heuristic(obs.data(), continuous, action.data());
    auto r = env.Step(action, obs);
    EXPECT_TRUE(r.ok());
    total += r->reward;
    if (steps) ++*steps;
    if (r->terminated || r->truncated) return total;
  }
}

// Gymnasium's heuristic lands the craft: the issue asks for a mean above 200 over 100
// seeds in both variants.
class LunarLanderHeuristicTest : public ::testing::TestWithParam<bool> {};

TEST_P(LunarLanderHeuristicTest, MeanReturnOver100SeedsAbove200) {
  const bool continuous = GetParam();
  auto env = MakeEnv(continuous ? "LunarLanderContinuous-v3" : "LunarLander-v3");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  std::vector<double> returns;
  for (uint64_t seed = 0; seed < 100; ++seed) returns.push_back(HeuristicEpisode(**env, continuous, seed));
  const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / returns.size();
  EXPECT_GT(mean, 200.0);
  RecordProperty("mean_return", std::to_string(mean));
}

INSTANTIATE_TEST_SUITE_P(Variants, LunarLanderHeuristicTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Continuous" : "Discrete"; });

TEST(LunarLanderTest, SpecsMatchGymnasium) {
  auto d = std::move(MakeEnv("LunarLander-v3")).value();
  EXPECT_EQ(d->spec().action_space.n, 4);
  EXPECT_EQ(d->spec().max_episode_steps, 1000);
  EXPECT_EQ(d->spec().reward_threshold, 200.0);
  EXPECT_EQ(d->obs_dim(), 8);
  EXPECT_DOUBLE_EQ(d->spec().observation_space.high[0], 2.5);
  EXPECT_DOUBLE_EQ(d->spec().observation_space.high[2], 10.0);
  EXPECT_NEAR(d->spec().observation_space.high[4], 2 * M_PI, 1e-12);
  auto c = std::move(MakeEnv("LunarLanderContinuous-v3")).value();
  EXPECT_EQ(c->spec().action_space.FlatDim(), 2);
  // the continuous variant is also LunarLander-v3 with continuous=true.
  auto c2 = std::move(MakeEnv("LunarLander-v3", {{"continuous", "true"}})).value();
  EXPECT_FALSE(c2->spec().action_space.is_discrete());
}

TEST(LunarLanderTest, SameSeedSameEpisodeWithWind) {
  for (const char* wind : {"false", "true"}) {
    auto a = std::move(MakeEnv("LunarLander-v3", {{"enable_wind", wind}})).value();
    auto b = std::move(MakeEnv("LunarLander-v3", {{"enable_wind", wind}})).value();
    int sa = 0, sb = 0;
    EXPECT_EQ(HeuristicEpisode(*a, false, 7, &sa), HeuristicEpisode(*b, false, 7, &sb)) << wind;
    EXPECT_EQ(sa, sb);
    // a different seed gives a different terrain and push.
    std::vector<float> o1(8), o2(8);
    a->Reset(1, o1);
    b->Reset(2, o2);
    EXPECT_NE(o1, o2);
  }
}

TEST(LunarLanderTest, WindChangesTheTrajectory) {
  auto calm = std::move(MakeEnv("LunarLander-v3")).value();
  auto windy = std::move(MakeEnv("LunarLander-v3", {{"enable_wind", "true"},
                                                     {"wind_power", "20"}})).value();
  std::vector<float> oc(8), ow(8);
  calm->Reset(3, oc);
  windy->Reset(3, ow);
  const float noop[1] = {0.0f};
  for (int t = 0; t < 30; ++t) {
    ASSERT_TRUE(calm->Step(noop, oc).ok());
    ASSERT_TRUE(windy->Step(noop, ow).ok());
  }
  EXPECT_GT(std::abs(oc[2] - ow[2]), 1e-3);  // horizontal speed differs
}

TEST(LunarLanderTest, FallingWithoutEnginesCrashesWithMinus100) {
  auto env = std::move(MakeEnv("LunarLander-v3")).value();
  std::vector<float> obs(8);
  env->Reset(0, obs);
  const float noop[1] = {0.0f};
  StatusOr<StepResult> r = StepResult{};
  int steps = 0;
  do {
    r = env->Step(noop, obs);
    ASSERT_TRUE(r.ok());
    ++steps;
  } while (!r->terminated && !r->truncated);
  EXPECT_TRUE(r->terminated);
  EXPECT_DOUBLE_EQ(r->reward, -100.0);
  EXPECT_LT(steps, 300);
}

TEST(LunarLanderTest, BadOptionsAndActions) {
  auto g = MakeEnv("LunarLander-v3", {{"gravity", "-13"}});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("gravity"), std::string::npos);
  auto env = std::move(MakeEnv("LunarLander-v3")).value();
  std::vector<float> obs(8);
  env->Reset(0, obs);
  const float four[1] = {4.0f};
  EXPECT_FALSE(env->Step(four, obs).ok());
  auto cont = std::move(MakeEnv("LunarLanderContinuous-v3")).value();
  cont->Reset(0, obs);
  const float one[1] = {0.0f};
  EXPECT_FALSE(cont->Step(one, obs).ok());
  const float big[2] = {50.0f, -50.0f};  // clipped like Gymnasium, not an error
  EXPECT_TRUE(cont->Step(big, obs).ok());
}

}  // namespace
}  // namespace fleet::envs
