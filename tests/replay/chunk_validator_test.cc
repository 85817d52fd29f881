#include "replay/chunk_validator.h"

#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet::replay {
namespace {

const ChunkExpectations kCartPole{"CartPole-v1", 4, 0, 2};

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
                "action_dim"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& ch : n) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

}  // namespace
}  // namespace fleet::replay
