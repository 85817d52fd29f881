#include "replay/chunk_validator.h"

#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet::replay {
namespace {

ChunkExpectations CartPole() {
  ChunkExpectations e{"CartPole-v1", 4, 0, 2};
  e.max_episode_steps = 500;
  e.reward_min = -1.0;  // envs::EnvSpec of CartPole-v1
  e.reward_max = 1.0;
  return e;
}
const ChunkExpectations kCartPole = CartPole();

TEST(ChunkValidatorTest, AcceptsAWellFormedChunk) {
  EXPECT_TRUE(ValidateChunk(testing::CartPoleChunk(0, 0), kCartPole).ok());
}

struct BadCase {
  const char* name;
  std::function<void(proto::TrajectoryChunk&)> corrupt;
  const char* expected_in_message;
};

class ChunkValidatorBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ChunkValidatorBadTest, RejectsNamingTheProblem) {
  proto::TrajectoryChunk c = testing::CartPoleChunk(0, 0);
  GetParam().corrupt(c);
  Status st = ValidateChunk(c, kCartPole);
  ASSERT_FALSE(st.ok()) << GetParam().name;
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(GetParam().expected_in_message), std::string::npos)
      << GetParam().name << ": " << st.message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ChunkValidatorBadTest,
    ::testing::Values(
        BadCase{"wrong env", [](auto& c) { c.set_env_id("Pendulum-v1"); }, "env_id"},
        BadCase{"wrong obs_dim", [](auto& c) { c.set_obs_dim(3); }, "obs_dim"},
        BadCase{"short observations", [](auto& c) { c.mutable_observations()->RemoveLast(); },
                "observations"},
        BadCase{"extra reward", [](auto& c) { c.add_rewards(1.0f); }, "rewards"},
        BadCase{"NaN observation",
                [](auto& c) { c.set_observations(3, std::nanf("")); }, "non-finite"},
        BadCase{"inf reward",
                [](auto& c) { c.set_rewards(0, INFINITY); }, "rewards"},
        BadCase{"action out of range", [](auto& c) { c.set_discrete_actions(1, 2); },
                "discrete action 2"},
        BadCase{"flag not 0/1", [](auto& c) { (*c.mutable_truncated())[0] = 7; }, "truncated"},
        BadCase{"missing final obs",
                [](auto& c) { c.mutable_final_observations()->Clear(); c.clear_final_indices(); },
                "final observations"},
        BadCase{"zero steps", [](auto& c) { c.set_num_steps(0); }, "no steps"},
        BadCase{"continuous actions for discrete env", [](auto& c) { c.set_action_dim(2); },
                "action_dim"},
        // the chunk: a return and a length with no episode end to go with them
        BadCase{"statistics without an episode end",
                [](auto& c) { c.add_episode_returns(1e30f); c.add_episode_lengths(4000000000u); },
                "one per ended episode"},
        BadCase{"length beyond the time limit", [](auto& c) { c.set_episode_lengths(0, 600); },
                "beyond the env's limit of 500"},
        BadCase{"length shorter than its steps in the chunk",
                [](auto& c) { c.set_episode_lengths(1, 2); }, "5 of its steps are in the chunk"},
        BadCase{"NaN return", [](auto& c) { c.set_episode_returns(0, std::nanf("")); },
                "episode_returns"},
        BadCase{"reward outside the env's range", [](auto& c) { c.set_rewards(3, 2.0f); },
                "chunk reward 2.000000 at index 3 is outside the env's range"},
        // episode 0 began before the chunk: its 5 steps allow a return of at most 5
        BadCase{"return beyond what its length allows",
                [](auto& c) { c.set_episode_returns(0, 6.0f); },
                "outside [-5.000000, 5.000000], what 5 steps of the env's reward range allow"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& ch : n) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

// An episode that began inside the chunk: its length and return are exactly its steps'.
TEST(ChunkValidatorTest, AnEpisodeThatBeganInTheChunkMustMatchItsSteps) {
  // env 1 ends at steps 3, 8, 13; env 0 at 4, 9, 14: episode 2 is env 1's steps 4..8
  proto::TrajectoryChunk c = testing::CartPoleChunk(0, 7, 16, 2);
  ASSERT_TRUE(ValidateChunk(c, kCartPole).ok());
  c.set_episode_returns(2, 4.0f);  // within what 5 steps allow, but not their sum
  Status st = ValidateChunk(c, kCartPole);
  EXPECT_NE(st.message().find("has return 4.000000, but its rewards sum to 5.000000"),
            std::string::npos) << st.message();
  c = testing::CartPoleChunk(0, 7, 16, 2);
  c.set_episode_lengths(2, 9);  // longer than the 5 steps it had since env 1's last end
  st = ValidateChunk(c, kCartPole);
  EXPECT_NE(st.message().find("and it began there"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace fleet::replay
