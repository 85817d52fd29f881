#include "envs/vector_env.h"

#include <map>
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

// Grouped seeding (env.group_size): each seed of a group starts exactly K episodes, all
// from one start state, whichever envs of the group play them; groups differ; every ended
// episode reports the seed it was reset with; the seeds follow GroupSeed.
TEST(VectorEnvTest, GroupedSeedingStartsKEpisodesFromEachSeed) {
  constexpr int kEnvs = 4, kGroup = 2;
  auto made = VectorEnv::Create("LunarLander-v3", kEnvs);
  ASSERT_TRUE(made.ok());
  VectorEnv& vec = **made;
  const int D = vec.obs_dim();
  std::vector<float> obs(kEnvs * D), rewards(kEnvs);
  std::vector<uint8_t> term(kEnvs), trunc(kEnvs);
  VectorStepOutput out;
  vec.ResetGrouped(7, kGroup, obs);
  auto row = [&](int i) { return std::vector<float>(obs.begin() + i * D, obs.begin() + (i + 1) * D); };
  EXPECT_EQ(row(0), row(1));
  EXPECT_EQ(row(2), row(3));
  EXPECT_NE(row(0), row(2));
  std::vector<float> single(D);
  auto env = MakeEnv("LunarLander-v3");
  (*env)->Reset(VectorEnv::GroupSeed(7, 0, 0), single);
  EXPECT_EQ(single, row(0));
  // envs act differently, so episodes end at different steps; record each episode's
  // start observation under the seed it reports when it ends.
  std::vector<std::vector<float>> start(kEnvs);
  for (int i = 0; i < kEnvs; ++i) start[i] = row(i);
  std::map<std::pair<int, uint64_t>, std::vector<std::vector<float>>> by_seed;  // (group, seed)
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int> pick(0, 3);
  for (int step = 0; step < 4000; ++step) {
    float actions[kEnvs] = {0.0f, static_cast<float>(pick(rng)), 2.0f, static_cast<float>(pick(rng))};
    ASSERT_TRUE(vec.Step(actions, obs, rewards, term, trunc, out).ok());
    ASSERT_EQ(out.episode_seeds.size(), out.final_indices.size());
    for (size_t k = 0; k < out.final_indices.size(); ++k) {
      const int i = out.final_indices[k];
      by_seed[{i / kGroup, out.episode_seeds[k]}].push_back(start[i]);
      start[i] = row(i);
    }
  }
  int complete = 0;
  for (int g = 0; g < kEnvs / kGroup; ++g) {
    // the seeds a group hands out, in order: every one but the last two (still being
    // played) has all K episodes, from the start state of a single env reset with it.
    for (int n = 0; n < 8; ++n) {
      const uint64_t seed = VectorEnv::GroupSeed(7, g, n);
      auto it = by_seed.find({g, seed});
      ASSERT_NE(it, by_seed.end()) << "group " << g << " seed " << n;
      ASSERT_LE(it->second.size(), static_cast<size_t>(kGroup));
      if (it->second.size() < static_cast<size_t>(kGroup)) continue;
      ++complete;
      (*env)->Reset(seed, single);
      for (const auto& s : it->second) EXPECT_EQ(s, single);
    }
  }
  EXPECT_GE(complete, 14);
  for (const auto& [key, starts] : by_seed) EXPECT_LE(starts.size(), static_cast<size_t>(kGroup));
  // plain Reset turns grouped seeding off: no seeds are reported.
  vec.Reset(7, obs);
  for (int step = 0; step < 3000; ++step) {
    const float actions[kEnvs] = {0.0f, 0.0f, 0.0f, 0.0f};
    ASSERT_TRUE(vec.Step(actions, obs, rewards, term, trunc, out).ok());
    if (!out.final_indices.empty()) {
      EXPECT_TRUE(out.episode_seeds.empty());
      break;
    }
  }
}

}  // namespace
}  // namespace fleet::envs
