// Decision Transformer windows: returns-to-go, timesteps, front padding, episodes drawn in
// proportion to their length.
#include "replay/window_sampler.h"

#include <memory>

#include <gtest/gtest.h>

namespace fleet::replay {
namespace {

std::unique_ptr<EpisodeDataset> ThreeEpisodes() {
  auto d = std::make_unique<EpisodeDataset>(2, 1);
  for (int len : {1, 3, 6}) {
    std::vector<float> obs, act, rew;
    for (int t = 0; t < len; ++t) {
      obs.push_back(static_cast<float>(len));
      obs.push_back(static_cast<float>(t));
      act.push_back(static_cast<float>(t % 2));
      rew.push_back(static_cast<float>(t + 1));
    }
    d->AppendEpisode(obs, act, rew);
  }
  return d;
}

TEST(WindowSamplerTest, WindowsCarryReturnsToGoTimestepsAndLeftPadding) {
  auto d = ThreeEpisodes();
  EXPECT_EQ(d->steps(), 10);
  EXPECT_EQ(d->episodes(), 3);
  WindowSampler sampler(*d, 4);
  std::mt19937_64 rng(3);
  Window w;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(sampler.Sample(rng, w).ok());
    const int len = static_cast<int>(w.obs[(w.k - 1) * 2]);  // the last slot is always present
    int present = 0;
    for (int j = 0; j < w.k; ++j) present += w.mask[j];
    for (int j = 0; j < w.k; ++j) {
      if (!w.mask[j]) {
        EXPECT_LT(j, w.k - present);  // padding only at the front
        EXPECT_EQ(w.returns_to_go[j], 0.0f);
        continue;
      }
      const int64_t t = w.timesteps[j];
      EXPECT_EQ(w.obs[j * 2 + 1], static_cast<float>(t));
      EXPECT_EQ(w.obs[j * 2], static_cast<float>(len));
      // rewards t+1 .. len: sum = (len(len+1) - t(t+1)) / 2
      EXPECT_FLOAT_EQ(w.returns_to_go[j], (len * (len + 1) - t * (t + 1)) / 2.0f);
      if (j > 0 && w.mask[j - 1]) EXPECT_EQ(t, w.timesteps[j - 1] + 1);
    }
  }
}

TEST(WindowSamplerTest, EpisodesAreDrawnInProportionToLength) {
  auto d = ThreeEpisodes();
  WindowSampler sampler(*d, 2);
  std::mt19937_64 rng(4);
  Window w;
  std::vector<int> counts(3, 0);
  const int n = 30000;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(sampler.Sample(rng, w).ok());
    ++counts[w.episode];
  }
  EXPECT_NEAR(counts[0] / double(n), 0.1, 0.01);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.6, 0.015);
}

TEST(WindowSamplerTest, EmptyDatasetIsAnError) {
  EpisodeDataset d(2, 1);
  WindowSampler sampler(d, 4);
  std::mt19937_64 rng(5);
  Window w;
  EXPECT_EQ(sampler.Sample(rng, w).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fleet::replay
