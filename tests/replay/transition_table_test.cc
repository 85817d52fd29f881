// The live transition ring: s' from the chunk's layout and episode ends, eviction of the
// oldest, uniform sampling.
#include "replay/transition_table.h"

#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet::replay {
namespace {

using std::chrono::milliseconds;

// a limiter that never blocks once one transition is in.
std::unique_ptr<RateLimiter> Unlimited() { return RateLimiter::Create({1.0, 1, 1e9}).value(); }

TEST(TransitionTableTest, NextObservationsFollowTheChunkAndEpisodeEnds) {
  TransitionTable table(4, 0, 1000, Unlimited());
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
  TransitionTable table(4, 0, 10, Unlimited());
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

}  // namespace
}  // namespace fleet::replay
