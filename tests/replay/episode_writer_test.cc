#include "replay/episode_writer.h"

#include "replay/dataset_reader.h"
#include "replay/shard_reader.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/replay/writer_options.h"
#include "tests/test_util.h"

namespace fleet::replay {
namespace {

Shard Read(const std::string& path) {
  auto shard = ReadShard(path);
  EXPECT_TRUE(shard.ok()) << shard.status().ToString();
  return shard.ok() ? std::move(*shard) : Shard{};
}

TEST(EpisodeWriterTest, WritesWholeEpisodesWithD4rlKeys) {
  testing::TempDir dir;
  EpisodeWriterOptions o = testing::CartPoleWriterOptions(dir.path());
  o.flush_steps = 4;  // exercise several flushes
  auto w = EpisodeWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  // env 0 ends episodes at t = 4, 9; env 1 at t = 3, 8 (see CartPoleChunk).
  const Status added = (*w)->Add(testing::CartPoleChunk(0, 0, 10, 2, 3));
  ASSERT_TRUE(added.ok()) << added.ToString();
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->episodes_written(), 4u);
  EXPECT_EQ((*w)->steps_written(), 19u);  // 5 + 5 + 4 + 5; env 1's last step is open

  const std::string path = dir.path() + "/shard-00000.h5";
  const Shard shard = Read(path);
  const auto& obs = shard.steps.observations;
  const auto& rewards = shard.steps.rewards;
  const auto& terminals = shard.steps.terminals;
  const auto& timeouts = shard.steps.timeouts;
  const auto& actions = shard.steps.discrete_actions;
  const auto& version = shard.steps.policy_version;
  const auto& starts = shard.episodes.start;
  const auto& lengths = shard.episodes.length;
  const auto& returns = shard.episodes.episode_return;
  ASSERT_EQ(rewards.size(), 19u);
  ASSERT_EQ(obs.size(), 19u * 4);
  EXPECT_EQ(actions.size(), 19u);
  EXPECT_EQ(version, std::vector<uint64_t>(19, 3));
  EXPECT_EQ(timeouts, std::vector<uint8_t>(19, 0));
  ASSERT_EQ(starts.size(), 4u);
  int64_t expect_start = 0;
  for (size_t e = 0; e < starts.size(); ++e) {
    EXPECT_EQ(starts[e], expect_start);
    // each episode ends in a terminal, and only there.
    for (int64_t i = starts[e]; i < starts[e] + lengths[e]; ++i) {
      EXPECT_EQ(terminals[i], i == starts[e] + lengths[e] - 1 ? 1 : 0) << i;
    }
    EXPECT_DOUBLE_EQ(returns[e], static_cast<double>(lengths[e]));
    expect_start += lengths[e];
  }
  // env 0's first episode: steps t = 0..4 at flat indices 0, 2, 4, 6, 8.
  EXPECT_FLOAT_EQ(obs[4 * 1 + 0], 0.01f * 2);
  EXPECT_EQ(shard.manifest.total_episodes, 4);
  EXPECT_EQ(shard.manifest.env_id, "CartPole-v1");
  EXPECT_TRUE(shard.manifest.optional_columns.empty());
  EXPECT_TRUE(shard.steps.logprob.empty());
}

// Shards rotate at episode boundaries; every shard is a consistent dataset of its own.
TEST(EpisodeWriterTest, RotatesShardsWithoutSplittingEpisodes) {
  testing::TempDir dir;
  EpisodeWriterOptions o = testing::CartPoleWriterOptions(dir.path());
  o.max_shard_steps = 12;
  auto w = EpisodeWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (uint64_t seq = 0; seq < 4; ++seq) {
    ASSERT_TRUE((*w)->Add(testing::CartPoleChunk(0, seq, 10, 2)).ok());
  }
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_GE((*w)->shards(), 3);
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->shards.size(), static_cast<size_t>((*w)->shards()));
  EXPECT_EQ(report->steps, static_cast<int64_t>((*w)->steps_written()));
  EXPECT_EQ(report->episodes, static_cast<int64_t>((*w)->episodes_written()));
  for (const auto& s : report->shards) {
    for (const auto& p : s.problems) ADD_FAILURE() << s.path << ": " << p;
    EXPECT_GT(s.episodes, 0) << s.path;
    // a shard is sealed at the first chunk boundary at or after 12 steps: below 12 plus
    // one chunk (10 x 2 steps) plus the open episodes it completes (2 x 4 steps).
    EXPECT_LT(s.steps, 12 + 20 + 8) << s.path;
  }
}

// Close(kCutOpen) writes the steps of open episodes too, marked as cut and truncated, with
// the observation after their last step as the final observation.
TEST(EpisodeWriterTest, CutOpenEpisodesAtCloseKeepsEveryStep) {
  testing::TempDir dir;
  EpisodeWriterOptions o = testing::CartPoleWriterOptions(dir.path());
  auto w = EpisodeWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Add(testing::CartPoleChunk(0, 7, 10, 2)).ok());
  // before the seal the file is not under its final name.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/shard-00000.h5"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/shard-00000.h5.tmp"));
  ASSERT_TRUE((*w)->Close(CloseMode::kCutOpen).ok());
  EXPECT_EQ((*w)->steps_written(), 20u);
  EXPECT_EQ((*w)->episodes_written(), 5u);
  const std::string path = dir.path() + "/shard-00000.h5";
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  const Shard shard = Read(path);
  const auto& cut = shard.episodes.cut;
  const auto& lengths = shard.episodes.length;
  const auto& starts = shard.episodes.start;
  const auto& final_obs = shard.episodes.final_observation;
  const auto& timeouts = shard.steps.timeouts;
  const auto& seqs = shard.steps.chunk_sequence;
  EXPECT_EQ(seqs, std::vector<uint64_t>(20, 7));
  ASSERT_EQ(cut, (std::vector<uint8_t>{0, 0, 0, 0, 1}));
  EXPECT_EQ(lengths[4], 1);  // env 1's step t = 9
  EXPECT_EQ(timeouts[starts[4]], 1);
  EXPECT_FLOAT_EQ(final_obs[0], 9.0f);     // ended: the chunk's final observation
  EXPECT_FLOAT_EQ(final_obs[4 * 4], 0.5f);  // cut: the observation after its last step
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

// A collect of N episodes: episodes that end after the N-th (and those cut at the close)
// are not written, whatever the actors had under way.
TEST(EpisodeWriterTest, StopsAtMaxEpisodesAndCutsNothingPastIt) {
  testing::TempDir dir;
  EpisodeWriterOptions o = testing::CartPoleWriterOptions(dir.path());
  o.max_episodes = 3;
  auto w = EpisodeWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  // 4 episodes end in the chunk, written env by env: env 0's at t = 4 and 9, env 1's at
  // t = 3 (the third), then env 1's at t = 8 (past the limit); env 1's fifth is open.
  ASSERT_TRUE((*w)->Add(testing::CartPoleChunk(0, 0, 10, 2)).ok());
  ASSERT_TRUE((*w)->Close(CloseMode::kCutOpen).ok());
  EXPECT_EQ((*w)->episodes_written(), 3u);
  EXPECT_EQ((*w)->episodes_over_limit(), 2u);  // the fourth ended, the fifth cut
  EXPECT_EQ((*w)->steps_over_limit(), 5u + 1u);
  const Shard shard = Read(dir.path() + "/shard-00000.h5");
  EXPECT_EQ(shard.manifest.total_episodes, 3);
  EXPECT_EQ(shard.episodes.length, (std::vector<int64_t>{5, 5, 4}));
  EXPECT_EQ(shard.steps.rewards.size(), 14u);
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST(EpisodeWriterTest, UnwritablePathIsAnError) {
  EpisodeWriterOptions o;
  o.dir = "/nonexistent-dir";
  o.obs_dim = 4;
  auto w = EpisodeWriter::Create(o);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("/nonexistent-dir/shard-00000.h5.tmp"), std::string::npos);
}

}  // namespace
}  // namespace fleet::replay
