// The rate limiter, the uniform transition table and the Decision Transformer window
// sampler, each on its own.
#include "replay/samplers.h"

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "replay/recorder.h"
#include "tests/test_util.h"

namespace fleet::replay {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<RateLimiter> Limiter(double spi, int64_t min_size, double error_buffer) {
  auto r = RateLimiter::Create({spi, min_size, error_buffer});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(*r);
}

TEST(RateLimiterTest, SamplingWaitsForTheMinimumSize) {
  auto rl = Limiter(1.0, 3, 2.0);
  EXPECT_EQ(rl->AwaitSample(milliseconds(5)).code(), StatusCode::kDeadlineExceeded);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
  EXPECT_TRUE(rl->AwaitSample(milliseconds(5)).ok());
}

TEST(RateLimiterTest, InsertsBlockWhenSamplingFallsBehind) {
  auto rl = Limiter(2.0, 1, 2.0);  // max_diff = 1 * 2 + 2 = 4
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());  // size < min: free, diff 2
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());  // diff 2 + 2 <= 4 -> diff 4
  EXPECT_EQ(rl->AwaitInsert(milliseconds(5)).code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(rl->AwaitSample(milliseconds(5)).ok());  // diff 3
  ASSERT_TRUE(rl->AwaitSample(milliseconds(5)).ok());  // diff 2
  EXPECT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
}

TEST(RateLimiterTest, ABlockedSamplerIsWokenByAnInsertFromAnotherThread) {
  auto rl = Limiter(1.0, 1, 1.0);
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
  ASSERT_TRUE(rl->AwaitSample(milliseconds(5)).ok());
  std::atomic<bool> sampled{false};
  std::thread t([&] { sampled = rl->AwaitSample(milliseconds(5000)).ok(); });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(sampled.load());
  ASSERT_TRUE(rl->AwaitInsert(milliseconds(5)).ok());
  t.join();
  EXPECT_TRUE(sampled.load());
}

TEST(RateLimiterTest, CancelWakesWaiters) {
  auto rl = Limiter(1.0, 10, 1.0);
  Status st;
  std::thread t([&] { st = rl->AwaitSample(milliseconds(10000)); });
  std::this_thread::sleep_for(milliseconds(20));
  rl->Cancel();
  t.join();
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
}

TEST(RateLimiterTest, RatioIsHeldUnderConcurrentInsertAndSample) {
  const double spi = 4.0, buffer = 8.0;
  auto rl = Limiter(spi, 100, buffer);
  std::atomic<bool> stop{false};
  std::thread inserter([&] {
    while (!stop && rl->AwaitInsert(milliseconds(1000)).ok()) {
    }
  });
  std::thread sampler([&] {
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(rl->AwaitSample(milliseconds(1000)).ok());
  });
  sampler.join();
  stop = true;
  rl->Cancel();
  inserter.join();
  // samples stay within the error buffer of inserts * spi (offset by the min size).
  const double diff = rl->inserts() * spi - rl->samples();
  EXPECT_LE(diff, 100 * spi + buffer + spi);
  EXPECT_GE(diff, 100 * spi - buffer - 1);
  EXPECT_NEAR(static_cast<double>(rl->samples()) / (rl->inserts() - 100), spi, 0.1);
}

TEST(RateLimiterTest, BadOptionsAreRejected) {
  EXPECT_FALSE(RateLimiter::Create({0.0, 1, 1.0}).ok());
  EXPECT_FALSE(RateLimiter::Create({1.0, 0, 1.0}).ok());
  EXPECT_FALSE(RateLimiter::Create({4.0, 1, 1.0}).ok());  // buffer < spi: deadlock
}

TEST(TransitionTableTest, NextObservationsFollowTheChunkAndEpisodeEnds) {
  TransitionTable table(4, 0, 1000, Limiter(1.0, 1, 1e9));
  auto c = testing::CartPoleChunk(0, 0, 10, 2);  // env 0 ends at t = 4, 9; env 1 at 3, 8
  ASSERT_TRUE(table.InsertChunk(c, milliseconds(10)).ok());
  EXPECT_EQ(table.size(), 20);
  std::mt19937_64 rng(1);
  TransitionBatch b;
  ASSERT_TRUE(table.Sample(500, rng, b, milliseconds(10)).ok());
  int terminal = 0;
  for (int i = 0; i < b.size; ++i) {
    // CartPoleChunk's observation of flat step j is 0.01 j + d; final ones are 9.
    const float o = b.obs[i * 4];
    const float n = b.next_obs[i * 4];
    const int j = static_cast<int>(std::lround(o / 0.01f));
    if (b.terminated[i]) {
      ++terminal;
      EXPECT_FLOAT_EQ(n, 9.0f);
    } else if (j + 2 < 20) {
      EXPECT_NEAR(n, 0.01f * (j + 2), 1e-5) << j;  // same env, next step
    } else {
      EXPECT_FLOAT_EQ(n, 0.5f);  // the chunk's next observation
    }
  }
  EXPECT_GT(terminal, 0);
}

TEST(TransitionTableTest, RingEvictsTheOldestAndSamplingIsUniform) {
  TransitionTable table(4, 0, 10, Limiter(1.0, 1, 1e9));
  for (uint64_t s = 0; s < 3; ++s) {
    ASSERT_TRUE(table.InsertChunk(testing::CartPoleChunk(0, s, 10, 2), milliseconds(10)).ok());
  }
  EXPECT_EQ(table.size(), 10);
  std::mt19937_64 rng(2);
  TransitionBatch b;
  ASSERT_TRUE(table.Sample(20000, rng, b, milliseconds(10)).ok());
  std::map<int, int> counts;
  for (int i = 0; i < b.size; ++i) ++counts[static_cast<int>(std::lround(b.obs[i * 4] / 0.01f))];
  // only the last chunk's last 10 transitions (flat steps 10..19) remain, ~2000 draws each.
  ASSERT_EQ(counts.size(), 10u);
  for (const auto& [j, n] : counts) {
    EXPECT_GE(j, 10);
    EXPECT_NEAR(n, 2000, 200) << j;
  }
}

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

TEST(EpisodeDatasetTest, LoadsRecordedShardsAndSkipsACorruptOne) {
  testing::TempDir dir;
  {
    RecorderOptions o;
    o.writer.dir = dir.path();
    o.writer.env_id = "CartPole-v1";
    o.writer.obs_dim = 4;
    o.writer.max_shard_steps = 20;
    auto r = Recorder::Open(o);
    ASSERT_TRUE(r.ok());
    for (uint64_t s = 0; s < 4; ++s) {
      auto c = testing::CartPoleChunk(0, s, 10, 2);
      ASSERT_TRUE((*r)->Add(c.SerializeAsString(), c).ok());
    }
    ASSERT_TRUE((*r)->Close().ok());
  }
  std::vector<std::string> warnings;
  auto d = EpisodeDataset::Load(dir.path(), &warnings);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ((*d)->steps(), 80);
  EXPECT_EQ((*d)->obs_dim(), 4);
  // corrupt the first shard: it is skipped with a warning, the rest still loads.
  std::ofstream(dir.path() + "/shard-00000.h5", std::ios::trunc) << "garbage";
  warnings.clear();
  auto d2 = EpisodeDataset::Load(dir.path(), &warnings);
  ASSERT_TRUE(d2.ok()) << d2.status().ToString();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("shard-00000.h5"), std::string::npos);
  EXPECT_GT((*d2)->steps(), 0);
  EXPECT_LT((*d2)->steps(), 80);
  WindowSampler sampler(**d2, 8);
  std::mt19937_64 rng(6);
  Window w;
  EXPECT_TRUE(sampler.Sample(rng, w).ok());
  // transitions from the recorded episodes: CartPoleChunk's final observations are 9.
  EpisodeTransitionSampler transitions(**d2);
  TransitionBatch b;
  ASSERT_TRUE(transitions.Sample(2000, rng, b).ok());
  int terminal = 0;
  for (int i = 0; i < b.size; ++i) {
    if (b.terminated[i]) {
      ++terminal;
      EXPECT_FLOAT_EQ(b.next_obs[i * 4], 9.0f);
    }
  }
  EXPECT_GT(terminal, 0);
}

}  // namespace
}  // namespace fleet::replay
