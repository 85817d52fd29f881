// How far an actor may run ahead of the learner, per pacing.
#include "actor/pacing.h"

#include <gtest/gtest.h>

namespace fleet::actor {
namespace {

TEST(PacingTest, LockstepWaitsAfterEveryChunkAndCollectNever) {
  ExperimentConfig cfg;
  cfg.actors.sync = true;
  auto lockstep = MakePacing(cfg, /*learner_fed=*/true);
  EXPECT_STREQ(lockstep->name(), "lockstep");
  EXPECT_TRUE(lockstep->MustWaitForNewerWeights(0, 0, 1));
  auto free = MakePacing(cfg, /*learner_fed=*/false);
  EXPECT_FALSE(free->MustWaitForNewerWeights(0, 0, 1000));
}

TEST(PacingTest, LagBoundedAllowsLagPlusOneVersionsOfChunks) {
  ExperimentConfig cfg;
  cfg.actors.sync = false;
  cfg.actors.count = 2;
  cfg.learner.chunks_per_update = 4;  // 2 chunks per actor per version
  cfg.store.max_policy_lag = 1;
  auto p = MakePacing(cfg, true);
  EXPECT_STREQ(p->name(), "lag-bounded");
  // holding version 10 (first 10): (0 + 1 + 1) * 2 = 4 chunks before waiting.
  EXPECT_FALSE(p->MustWaitForNewerWeights(10, 10, 3));
  EXPECT_TRUE(p->MustWaitForNewerWeights(10, 10, 4));
  // two versions later, 4 more.
  EXPECT_FALSE(p->MustWaitForNewerWeights(12, 10, 7));
  EXPECT_TRUE(p->MustWaitForNewerWeights(12, 10, 8));
  cfg.store.max_policy_lag = 0;
  EXPECT_TRUE(MakePacing(cfg, true)->MustWaitForNewerWeights(10, 10, 2));
  EXPECT_FALSE(MakePacing(cfg, true)->MustWaitForNewerWeights(10, 10, 1));
}

}  // namespace
}  // namespace fleet::actor
