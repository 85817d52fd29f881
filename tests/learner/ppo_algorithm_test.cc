// PPO behind the Algorithm interface: an update reports one value per named metric, its
// state saved into a checkpoint folder restores into a fresh instance exactly, and what
// does not fit (another env's checkpoint, chunks without behaviour log-probs) is refused.
#include "learner/ppo_algorithm.h"

#include <gtest/gtest.h>

#include "envs/registry.h"
#include "tests/test_util.h"

namespace fleet::learner {
namespace {

std::unique_ptr<PpoAlgorithm> Make(const std::string& env, const std::vector<std::string>& sets) {
  std::vector<std::string> all = {"env.id=" + env, "learner.ppo.norm_obs=true",
                                  "learner.ppo.norm_reward=true", "learner.ppo.num_minibatches=2"};
  all.insert(all.end(), sets.begin(), sets.end());
  auto cfg = ParseRunConfig("", all);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto spec = envs::GetSpec(env);
  EXPECT_TRUE(spec.ok());
  auto algo = PpoAlgorithm::Create(*cfg, *spec);
  EXPECT_TRUE(algo.ok()) << algo.status().ToString();
  return std::move(*algo);
}

TEST(PpoAlgorithmTest, UpdateReportsEveryNamedMetric) {
  auto algo = Make("CartPole-v1", {});
  RolloutBatch batch{{testing::CartPoleChunk(0, 0, 16, 2), testing::CartPoleChunk(1, 0, 16, 2)}};
  auto values = algo->Update(batch, {0, 10});
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  ASSERT_EQ(values->size(), algo->metrics().size());
  EXPECT_EQ(algo->metrics().back().column, "learning_rate");
  EXPECT_DOUBLE_EQ(values->back(), 2.5e-4);  // annealing starts at 1
  auto later = algo->Update(batch, {5, 10});
  ASSERT_TRUE(later.ok());
  EXPECT_DOUBLE_EQ(later->back(), 2.5e-4 * 0.5);
  // norm_reward scaled the batch's rewards in place.
  EXPECT_NE(batch.chunks[0].rewards(0), 1.0f);
}

TEST(PpoAlgorithmTest, ChunksWithoutLogprobsAreRefused) {
  auto algo = Make("CartPole-v1", {});
  auto c = testing::CartPoleChunk(3, 9, 8, 2);
  c.clear_logprobs();
  RolloutBatch batch{{c}};
  const Status st = algo->Update(batch, {0, 1}).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("chunk 9 of actor 3"), std::string::npos) << st.message();
}

TEST(PpoAlgorithmTest, SavedStateRestoresExactly) {
  testing::TempDir dir;
  auto a = Make("CartPole-v1", {});
  RolloutBatch batch{{testing::CartPoleChunk(0, 0, 32, 2)}};
  ASSERT_TRUE(a->Update(batch, {0, 10}).ok());
  std::string state;
  ASSERT_TRUE(a->Save(dir.path(), "", &state).ok());
  auto b = Make("CartPole-v1", {});
  EXPECT_NE(a->ExportPolicy(1).SerializeAsString(), b->ExportPolicy(1).SerializeAsString());
  ASSERT_TRUE(b->Restore(dir.path(), state).ok());
  // weights and observation statistics alike.
  EXPECT_EQ(a->ExportPolicy(1).SerializeAsString(), b->ExportPolicy(1).SerializeAsString());
  // the same next update from both (optimizer moments and reward statistics restored). A
  // resumed run's actors start new episodes, so the discounted returns of the streams the
  // reward scaler follows are not part of the state: a new actor's stream here.
  RolloutBatch again_a{{testing::CartPoleChunk(1, 0, 32, 2)}}, again_b = again_a;
  a->Reseed(7);  // the generator is libtorch's global one: reseed before each update
  ASSERT_TRUE(a->Update(again_a, {1, 10}).ok());
  b->Reseed(7);
  ASSERT_TRUE(b->Update(again_b, {1, 10}).ok());
  EXPECT_EQ(a->ExportPolicy(2).SerializeAsString(), b->ExportPolicy(2).SerializeAsString());
  EXPECT_EQ(again_a.chunks[0].rewards(3), again_b.chunks[0].rewards(3));

  // another env's network and statistics do not fit.
  auto acrobot = Make("Acrobot-v1", {});
  EXPECT_EQ(acrobot->Restore(dir.path(), state).code(), StatusCode::kDataLoss);
  EXPECT_EQ(b->Restore(dir.path(), "not a state").code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fleet::learner
