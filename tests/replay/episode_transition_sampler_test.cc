// Uniform transitions from whole episodes: s' is the next step or the final observation.
#include "replay/episode_transition_sampler.h"

#include <map>

#include <gtest/gtest.h>

namespace fleet::replay {
namespace {

TEST(EpisodeTransitionSamplerTest, NextObservationIsTheNextStepOrTheFinalOne) {
  EpisodeDataset d(1, 1);
  // episode 0: obs 0,1,2, final 3, terminated; episode 1: obs 10,11, final 12, truncated.
  std::vector<float> a3(3, 0.0f), a2(2, 0.0f);
  d.AppendEpisode(std::vector<float>{0, 1, 2}, a3, std::vector<float>{1, 1, 1},
                  std::vector<float>{3}, true);
  d.AppendEpisode(std::vector<float>{10, 11}, a2, std::vector<float>{1, 1},
                  std::vector<float>{12}, false);
  EpisodeTransitionSampler sampler(d);
  std::mt19937_64 rng(8);
  TransitionBatch b;
  ASSERT_TRUE(sampler.Sample(5000, rng, b).ok());
  std::map<int, int> counts;
  for (int i = 0; i < b.size; ++i) {
    const int o = static_cast<int>(b.obs[i]);
    ++counts[o];
    EXPECT_EQ(b.next_obs[i], static_cast<float>(o + 1)) << o;
    EXPECT_EQ(b.terminated[i], o == 2 ? 1 : 0) << o;  // only episode 0's last step
  }
  ASSERT_EQ(counts.size(), 5u);
  for (const auto& [o, n] : counts) EXPECT_NEAR(n, 1000, 150) << o;
}

}  // namespace
}  // namespace fleet::replay
