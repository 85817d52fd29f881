// Loading recorded shards into memory, skipping a corrupt one, and sampling from them.
#include "replay/episode_dataset.h"

#include <fstream>

#include <gtest/gtest.h>

#include "replay/episode_transition_sampler.h"
#include "replay/recorder.h"
#include "replay/window_sampler.h"
#include "tests/test_util.h"

namespace fleet::replay {
namespace {

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
