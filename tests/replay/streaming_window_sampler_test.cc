// Streaming windows: the same windows as the in-memory sampler for the same generator,
// whatever the cache size, with the cache held within its bound; the statistics of a
// streaming pass equal those of the whole dataset; unreadable shards skipped.
#include "replay/streaming_window_sampler.h"

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "replay/recorder.h"
#include "tests/test_util.h"

namespace fleet::replay {
namespace {

// 8 chunks of CartPole-shaped steps in 20-step shards: several shards, short episodes.
void Record(const std::string& dir) {
  RecorderOptions o;
  o.writer.dir = dir;
  o.writer.env_id = "CartPole-v1";
  o.writer.obs_dim = 4;
  o.writer.max_shard_steps = 20;
  auto r = Recorder::Open(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (uint64_t s = 0; s < 8; ++s) {
    auto c = testing::CartPoleChunk(0, s, 10, 2);
    for (int i = 0; i < c.rewards_size(); ++i) c.set_rewards(i, 0.1f * static_cast<float>(i % 7));
    ASSERT_TRUE((*r)->Add(c.SerializeAsString(), c).ok());
  }
  ASSERT_TRUE((*r)->Close().ok());
}

void ExpectSameWindows(const std::string& dir, int64_t cache_bytes, int draws) {
  auto memory = EpisodeDataset::Load(dir, nullptr);
  ASSERT_TRUE(memory.ok()) << memory.status().ToString();
  auto streaming = StreamingWindowSampler::Open(dir, cache_bytes, nullptr);
  ASSERT_TRUE(streaming.ok()) << streaming.status().ToString();
  EXPECT_EQ((*streaming)->steps(), (*memory)->steps());
  EXPECT_EQ((*streaming)->episodes(), (*memory)->episodes());
  const int K = 6;
  WindowSampler in_memory(**memory, K);
  std::mt19937_64 a(9), b(9);
  Window wa, wb;
  for (int i = 0; i < draws; ++i) {
    ASSERT_TRUE(in_memory.Sample(a, wa).ok());
    ASSERT_TRUE((*streaming)->Sample(b, K, wb).ok());
    ASSERT_EQ(wa.episode, wb.episode) << i;
    ASSERT_EQ(wa.obs, wb.obs) << i;
    ASSERT_EQ(wa.actions, wb.actions) << i;
    ASSERT_EQ(wa.returns_to_go, wb.returns_to_go) << i;
    ASSERT_EQ(wa.timesteps, wb.timesteps) << i;
    ASSERT_EQ(wa.mask, wb.mask) << i;
    for (int k = 0; k < K; ++k) ASSERT_NEAR(wa.rewards[k], wb.rewards[k], 1e-6) << i;
    ASSERT_LE((*streaming)->cached_bytes(), (*streaming)->cache_limit());
  }
  // the statistics of the streaming pass.
  const auto whole = (*memory)->Summarize();
  const auto& streamed = (*streaming)->summary();
  for (int d = 0; d < 4; ++d) {
    EXPECT_NEAR(streamed.obs_mean[d], whole.obs_mean[d], 1e-9);
    EXPECT_NEAR(streamed.obs_std[d], whole.obs_std[d], 1e-9);
  }
  EXPECT_EQ(streamed.lengths, whole.lengths);
  ::testing::Test::RecordProperty("episode_reads", std::to_string((*streaming)->episode_reads()));
}

TEST(StreamingWindowSamplerTest, SameWindowsAsInMemoryWithARoomyCache) {
  testing::TempDir dir;
  Record(dir.path());
  ExpectSameWindows(dir.path(), int64_t{1} << 30, 2000);
}

TEST(StreamingWindowSamplerTest, SameWindowsWithinABoundSmallerThanTheDataset) {
  testing::TempDir dir;
  Record(dir.path());
  // 160 steps x (4 + 1 + 1) floats = 3840 bytes of data; 600 bytes hold a few episodes.
  ExpectSameWindows(dir.path(), 600, 2000);
  auto s = StreamingWindowSampler::Open(dir.path(), 600, nullptr);
  ASSERT_TRUE(s.ok());
  std::mt19937_64 rng(1);
  Window w;
  for (int i = 0; i < 500; ++i) ASSERT_TRUE((*s)->Sample(rng, 4, w).ok());
  EXPECT_LE((*s)->cached_bytes(), 600);
  EXPECT_GT((*s)->episode_reads(), (*s)->episodes());  // evicted episodes were read again
}

TEST(StreamingWindowSamplerTest, UnreadableShardsAreSkippedAndNamed) {
  testing::TempDir dir;
  Record(dir.path());
  std::ofstream(dir.path() + "/shard-00000.h5", std::ios::trunc) << "garbage";
  std::vector<std::string> warnings;
  auto s = StreamingWindowSampler::Open(dir.path(), 1 << 20, &warnings);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("shard-00000.h5"), std::string::npos) << warnings[0];
  testing::TempDir empty;
  EXPECT_EQ(StreamingWindowSampler::Open(empty.path(), 1 << 20, nullptr).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace fleet::replay
