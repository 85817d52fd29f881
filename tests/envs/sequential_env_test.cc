// Composite envs (envs/composite/sequential_env.h): Endgame-v0's layout and padding, phase
// transitions on survival and on a goal, failure and time-out endings, the action
// encoding, seeding, composites of other env ids, bad options; and the goal reports
// (TaskOutcome) of the envs a phase is cleared by.
#include "envs/composite/sequential_env.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "envs/box2d/lunar_lander.h"
#include "envs/registry.h"
#include "envs/vector_env.h"

namespace fleet::envs {
namespace {

SequentialEnv& AsComposite(std::unique_ptr<Env>& env) {
  auto* c = dynamic_cast<SequentialEnv*>(env.get());
  EXPECT_NE(c, nullptr);
  return *c;
}

std::vector<float> ResetOf(const std::string& id, uint64_t seed) {
  auto env = MakeEnv(id);
  EXPECT_TRUE(env.ok());
  std::vector<float> obs((*env)->obs_dim());
  (*env)->Reset(seed, obs);
  return obs;
}

TEST(SequentialEnvTest, EndgameObservationLayoutAndPadding) {
  auto env = MakeEnv("Endgame-v0");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  SequentialEnv& e = AsComposite(*env);
  // 4 phases one-hot + timer + the largest phase observation (BipedalWalker's 24)
  ASSERT_EQ(e.obs_dim(), 4 + 1 + 24);
  ASSERT_EQ(e.action_width(), 4);  // BipedalWalker's Box(4); CartPole's Discrete(2) fits
  EXPECT_EQ(e.spec().max_episode_steps, 200 + 1600 + 999 + 1000);
  EXPECT_EQ(e.phase_spec(0).name, "balance");
  EXPECT_EQ(e.phase_spec(3).env_id, "LunarLanderContinuous-v3");
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(e.spec().action_space.low[j], -1.0);
    EXPECT_EQ(e.spec().action_space.high[j], 1.0);
  }
  std::vector<float> obs(e.obs_dim());
  e.Reset(42, obs);
  EXPECT_EQ(std::vector<float>(obs.begin(), obs.begin() + 5), (std::vector<float>{1, 0, 0, 0, 0}));
  // phase 0's env is reset with the composite generator's first number
  std::mt19937_64 rng(42);
  const std::vector<float> cart = ResetOf("CartPole-v1", rng());
  EXPECT_EQ(std::vector<float>(obs.begin() + 5, obs.begin() + 9), cart);
  for (int j = 9; j < e.obs_dim(); ++j) EXPECT_EQ(obs[j], 0.0f) << "padding at " << j;
  EXPECT_EQ(SequentialEnv::PhaseOf(obs.data(), 4), 0);
}

TEST(SequentialEnvTest, BalancedStepsClearTheFirstPhaseAndTheNextStartsInTheSameStep) {
  auto env = MakeEnv("Endgame-v0", {{"balance_steps", "5"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  SequentialEnv& e = AsComposite(*env);
  auto cart = MakeEnv("CartPole-v1");
  std::vector<float> obs(e.obs_dim()), cobs(4);
  e.Reset(7, obs);
  std::mt19937_64 rng(7);
  (*cart)->Reset(rng(), cobs);
  for (int t = 1; t <= 5; ++t) {
    // alternate the pushes: CartPole stays up; encoding: a[1] > a[0] pushes right
    const float push = t % 2 ? 1.0f : 0.0f;
    const std::vector<float> a = push > 0 ? std::vector<float>{0.1f, 0.7f, -5.0f, 3.0f}
                                          : std::vector<float>{0.7f, 0.1f, 3.0f, -5.0f};
    auto r = e.Step(a, obs);
    ASSERT_TRUE(r.ok());
    auto cr = (*cart)->Step(std::vector<float>{push}, cobs);
    ASSERT_TRUE(cr.ok());
    EXPECT_FALSE(r->terminated || r->truncated);
    EXPECT_DOUBLE_EQ(r->reward, 1.0 / 5.0);  // CartPole's +1 over the phase's scale (5)
    if (t < 5) {
      EXPECT_EQ(obs[0], 1.0f);
      EXPECT_FLOAT_EQ(obs[4], t / 5.0f);  // the phase timer
      EXPECT_EQ(std::vector<float>(obs.begin() + 5, obs.begin() + 9), cobs);
    }
  }
  // cleared: the walker's phase, its env reset with the generator's second number
  EXPECT_EQ(std::vector<float>(obs.begin(), obs.begin() + 5), (std::vector<float>{0, 1, 0, 0, 0}));
  EXPECT_EQ(std::vector<float>(obs.begin() + 5, obs.end()), ResetOf("BipedalWalker-v3", rng()));
  EXPECT_EQ(e.phase(), 1);
  EXPECT_TRUE(e.current_episode().phases[0].cleared);
  EXPECT_EQ(e.current_episode().phases[0].steps, 5);
  EXPECT_DOUBLE_EQ(e.current_episode().phases[0].raw_reward, 5.0);
  EXPECT_EQ(e.current_episode().phases[0].control_effort, 0.0);  // a Discrete phase
  EXPECT_NEAR(e.current_episode().phases[0].reward, 1.0, 1e-12);
  EXPECT_EQ(e.current_episode().phases_cleared, 1);
}

TEST(SequentialEnvTest, AFailureEndsTheEpisodeTerminated) {
  auto env = MakeEnv("Endgame-v0");
  ASSERT_TRUE(env.ok());
  SequentialEnv& e = AsComposite(*env);
  std::vector<float> obs(e.obs_dim());
  e.Reset(1, obs);
  StepResult r;
  int steps = 0;
  while (!r.terminated && !r.truncated) {  // always push right: the pole falls in ~10 steps
    r = *e.Step(std::vector<float>{-1, 1, 0, 0}, obs);
    ++steps;
  }
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_LT(steps, 200);
  EXPECT_FALSE(e.goal_reached());
  const CompositeEpisode& last = e.last_episode();
  EXPECT_TRUE(last.ended);
  EXPECT_FALSE(last.success);
  EXPECT_EQ(last.phases_cleared, 0);
  EXPECT_EQ(last.phases[0].steps, steps);
  EXPECT_FALSE(last.phases[0].cleared);
  // the record survives the next reset (a VectorEnv's auto-reset)
  e.Reset(std::nullopt, obs);
  EXPECT_EQ(e.last_episode().phases[0].steps, steps);
  EXPECT_EQ(e.current_episode().phases[0].steps, 0);
}

// MountainCarContinuous pumped by pushing along its velocity reaches the flag: two such
// phases in a row, each cleared by the env's own goal; the last one ends the episode.
TEST(SequentialEnvTest, GoalsClearPhasesAndTheLastOneEndsTheEpisodeInSuccess) {
  auto env = MakeEnv("Sequential-v0", {{"envs", "MountainCarContinuous-v0, MountainCarContinuous-v0"},
                                       {"reward_scales", "50,100"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  SequentialEnv& e = AsComposite(*env);
  EXPECT_EQ(e.obs_dim(), 2 + 1 + 2);
  EXPECT_EQ(e.action_width(), 1);
  std::vector<float> obs(e.obs_dim());
  e.Reset(3, obs);
  StepResult r;
  std::vector<double> raw(2);
  std::vector<double> scaled(2);
  int steps = 0;
  while (!r.terminated && !r.truncated) {
    const int p = SequentialEnv::PhaseOf(obs.data(), 2);
    const float a = obs[2 + 1 + 1] >= 0 ? 1.0f : -1.0f;  // push along the velocity
    r = *e.Step(std::vector<float>{a}, obs);
    // MountainCarContinuous: -0.1 a^2 per step, +100 at the flag
    scaled[p] += r.reward;
    ++steps;
  }
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(e.goal_reached());
  const CompositeEpisode& ep = e.last_episode();
  EXPECT_TRUE(ep.success);
  EXPECT_EQ(ep.phases_cleared, 2);
  EXPECT_EQ(ep.phases[0].steps + ep.phases[1].steps, steps);
  for (int p = 0; p < 2; ++p) {
    EXPECT_TRUE(ep.phases[p].cleared);
    EXPECT_NEAR(ep.phases[p].raw_reward, 100.0 - 0.1 * ep.phases[p].steps, 1e-9);
    EXPECT_NEAR(ep.phases[p].reward, ep.phases[p].raw_reward / (p == 0 ? 50.0 : 100.0), 1e-9);
    EXPECT_NEAR(scaled[p], ep.phases[p].reward, 1e-9);
    EXPECT_NEAR(ep.phases[p].control_effort, ep.phases[p].steps, 1e-9);  // |a| = 1 every step
  }
}

TEST(SequentialEnvTest, APhaseOutOfTimeEndsTheEpisodeAsAFailure) {
  auto env = MakeEnv("Sequential-v0", {{"envs", "MountainCarContinuous-v0,CartPole-v1"},
                                       {"survive_steps", "0,10"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  SequentialEnv& e = AsComposite(*env);
  EXPECT_EQ(e.spec().max_episode_steps, 999 + 10);
  EXPECT_DOUBLE_EQ(e.phase_spec(0).reward_scale, 90.0);  // the env's reward_threshold
  EXPECT_DOUBLE_EQ(e.phase_spec(1).reward_scale, 475.0);
  EXPECT_EQ(e.action_width(), 2);  // CartPole's Discrete(2) is the widest
  std::vector<float> obs(e.obs_dim());
  e.Reset(0, obs);
  StepResult r;
  int steps = 0;
  while (!r.terminated && !r.truncated) {
    r = *e.Step(std::vector<float>{0, 0}, obs);  // the car never leaves the valley
    ++steps;
  }
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);  // the episode's own limit (999 + 10) is not reached
  EXPECT_EQ(steps, 999);
  EXPECT_FLOAT_EQ(obs[2], 1.0f);  // the timer at the phase's limit
  EXPECT_FALSE(e.last_episode().phases[0].cleared);
  EXPECT_EQ(e.last_episode().phases_cleared, 0);
}

TEST(SequentialEnvTest, AnEpisodeIsFixedByItsSeed) {
  auto run = [](uint64_t seed) {
    auto env = MakeEnv("Endgame-v0", {{"balance_steps", "20"}});
    EXPECT_TRUE(env.ok());
    std::vector<float> obs((*env)->obs_dim()), trace;
    (*env)->Reset(seed, obs);
    std::mt19937 actions(5);
    std::uniform_real_distribution<float> u(-1, 1);
    bool reached_walker = false;
    for (int t = 0; t < 400; ++t) {
      // balance well enough to reach the walker: push against the pole's lean
      std::vector<float> a = {u(actions), u(actions), u(actions), u(actions)};
      if (obs[0] > 0.5f) a = obs[5 + 2] + 0.5f * obs[5 + 3] > 0 ? std::vector<float>{0, 1, 0, 0}
                                                                 : std::vector<float>{1, 0, 0, 0};
      auto r = (*env)->Step(a, obs);
      trace.insert(trace.end(), obs.begin(), obs.end());
      trace.push_back(static_cast<float>(r->reward));
      reached_walker |= obs[1] > 0.5f;
      if (r->terminated || r->truncated) {
        (*env)->Reset(std::nullopt, obs);  // continues the composite's generator
        trace.insert(trace.end(), obs.begin(), obs.end());
      }
    }
    EXPECT_TRUE(reached_walker);
    return trace;
  };
  const auto a = run(11), b = run(11), c = run(12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(SequentialEnvTest, ActionEncodingRoundTripsThroughThePhases) {
  auto env = MakeEnv("Endgame-v0");
  ASSERT_TRUE(env.ok());
  SequentialEnv& e = AsComposite(*env);
  std::vector<float> a(4);
  const float right = 1.0f;
  e.EncodeAction(0, &right, a.data());
  EXPECT_EQ(a, (std::vector<float>{-1, 1, -1, -1}));
  const float left = 0.0f;
  e.EncodeAction(0, &left, a.data());
  EXPECT_EQ(a, (std::vector<float>{1, -1, -1, -1}));
  const std::vector<float> lander = {0.5f, -0.25f};
  e.EncodeAction(3, lander.data(), a.data());
  EXPECT_EQ(a, (std::vector<float>{0.5f, -0.25f, 0, 0}));
}

TEST(SequentialEnvTest, ACompositeOfOtherEnvIdsWorksInAVectorEnv) {
  auto venv = VectorEnv::Create("Sequential-v0", 3, {{"envs", "CartPole-v1,Acrobot-v1"},
                                                    {"survive_steps", "3,0"}});
  ASSERT_TRUE(venv.ok()) << venv.status().ToString();
  EXPECT_EQ((*venv)->obs_dim(), 2 + 1 + 6);  // Acrobot's 6 numbers
  EXPECT_EQ((*venv)->action_width(), 3);     // Acrobot's Discrete(3)
  std::vector<float> obs(3 * 9), rewards(3), actions(3 * 3, 0.0f);
  std::vector<uint8_t> term(3), trunc(3);
  (*venv)->Reset(0, obs);
  VectorStepOutput out;
  // alternate CartPole's pushes for 3 steps: every env reaches the acrobot
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 3; ++i) {
      actions[i * 3 + 0] = t % 2 ? 1.0f : 0.0f;
      actions[i * 3 + 1] = t % 2 ? 0.0f : 1.0f;
    }
    ASSERT_TRUE((*venv)->Step(actions, obs, rewards, term, trunc, out).ok());
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(SequentialEnv::PhaseOf(&obs[i * 9], 2), 1) << i;
  // torque 0 (index 1 largest) until the acrobot's 500-step limit, the record kept
  for (int i = 0; i < 3; ++i) actions[i * 3 + 0] = 0, actions[i * 3 + 1] = 1, actions[i * 3 + 2] = 0;
  int t = 0;
  while (out.final_indices.empty() && t++ < 600) {
    ASSERT_TRUE((*venv)->Step(actions, obs, rewards, term, trunc, out).ok());
  }
  ASSERT_EQ(out.final_indices.size(), 3u);
  EXPECT_EQ(out.episode_lengths[0], 3 + 500);
  auto& first = dynamic_cast<SequentialEnv&>((*venv)->env(0));
  EXPECT_TRUE(first.last_episode().phases[0].cleared);
  EXPECT_FALSE(first.last_episode().phases[1].cleared);
  EXPECT_EQ(first.last_episode().phases[1].steps, 500);
  EXPECT_EQ(first.phase(), 0);  // auto-reset: a new episode from the first phase
}

// Episodes from a later phase (a skill's data in the composite's layout): the lander's
// phase alone, landed by Gymnasium's heuristic, is a success.
TEST(SequentialEnvTest, EpisodesCanStartAtALaterPhase) {
  auto env = MakeEnv("Endgame-v0", {{"start_phase", "3"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  SequentialEnv& e = AsComposite(*env);
  EXPECT_EQ(e.spec().max_episode_steps, 1000);
  EXPECT_EQ(e.obs_dim(), 29);  // the layout of every Endgame-v0 episode
  std::vector<float> obs(e.obs_dim()), a(4), lander(2);
  e.Reset(9, obs);
  EXPECT_EQ(std::vector<float>(obs.begin(), obs.begin() + 5), (std::vector<float>{0, 0, 0, 1, 0}));
  std::mt19937_64 rng(9);
  EXPECT_EQ(std::vector<float>(obs.begin() + 5, obs.begin() + 13), ResetOf("LunarLanderContinuous-v3", rng()));
  StepResult r;
  while (!r.terminated && !r.truncated) {
    LunarLander::Heuristic(obs.data() + 5, true, lander.data());
    e.EncodeAction(3, lander.data(), a.data());
    r = *e.Step(a, obs);
  }
  ASSERT_TRUE(r.terminated);
  ASSERT_TRUE(e.goal_reached()) << "the heuristic landed seed 9's lander in this test's run";
  EXPECT_TRUE(e.last_episode().success);
  EXPECT_EQ(e.last_episode().phases_cleared, 1);
  EXPECT_EQ(e.last_episode().phases[0].steps, 0);
  EXPECT_NE(std::string(MakeEnv("Endgame-v0", {{"start_phase", "4"}}).status().message()).find(
                "start_phase 4 is not one of the 4 phases"),
            std::string::npos);
}

TEST(SequentialEnvTest, SequentialWithoutOptionsIsTheCarThenTheAcrobot) {
  auto env = MakeEnv("Sequential-v0");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  SequentialEnv& e = AsComposite(*env);
  ASSERT_EQ(e.num_phases(), 2);
  EXPECT_EQ(e.phase_spec(0).env_id, "MountainCar-v0");
  EXPECT_DOUBLE_EQ(e.phase_spec(0).reward_scale, 110.0);  // |reward_threshold| = 110
  EXPECT_DOUBLE_EQ(e.phase_spec(1).reward_scale, 100.0);
  EXPECT_EQ(e.spec().max_episode_steps, 200 + 500);
}

// clear_bonus: added to the step that clears a phase and to that phase's record, nowhere
// else; reward_max grows by it. 3 balanced steps at scale 3: 1/3, 1/3, then 1/3 + 0.5.
TEST(SequentialEnvTest, AClearBonusRewardsTheClearingStepOnly) {
  auto env = MakeEnv("Endgame-v0", {{"balance_steps", "3"}, {"clear_bonus", "0.5"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  auto plain = MakeEnv("Endgame-v0", {{"balance_steps", "3"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_DOUBLE_EQ((*env)->spec().reward_max, (*plain)->spec().reward_max + 0.5);
  SequentialEnv& e = AsComposite(*env);
  std::vector<float> obs(e.obs_dim());
  e.Reset(3, obs);
  const double expected[] = {1.0 / 3, 1.0 / 3, 1.0 / 3 + 0.5};
  for (int t = 0; t < 3; ++t) {
    const std::vector<float> a = t % 2 ? std::vector<float>{0.7f, 0.1f, 0, 0} : std::vector<float>{0.1f, 0.7f, 0, 0};
    auto r = e.Step(a, obs);
    ASSERT_TRUE(r.ok());
    EXPECT_DOUBLE_EQ(r->reward, expected[t]) << t;
  }
  EXPECT_EQ(e.phase(), 1);
  EXPECT_NEAR(e.current_episode().phases[0].reward, 1.5, 1e-12);
  EXPECT_DOUBLE_EQ(e.current_episode().phases[0].raw_reward, 3.0);
  // the walker's first (uncleared) step gets no bonus: its reward is the walker's own / 300
  auto walker = MakeEnv("BipedalWalker-v3");
  std::vector<float> wobs(24);
  std::mt19937_64 rng(3);
  rng();
  (*walker)->Reset(rng(), wobs);
  auto wr = (*walker)->Step(std::vector<float>{0, 0, 0, 0}, wobs);
  auto r = e.Step(std::vector<float>{0, 0, 0, 0}, obs);
  ASSERT_TRUE(r.ok() && wr.ok());
  EXPECT_DOUBLE_EQ(r->reward, wr->reward / 300.0);
}

TEST(SequentialEnvTest, BadOptionsAreNamed) {
  auto err = [](const std::string& id, std::map<std::string, std::string> o) {
    auto env = MakeEnv(id, o);
    EXPECT_FALSE(env.ok());
    return env.ok() ? std::string() : env.status().ToString();
  };
  EXPECT_NE(err("Sequential-v0", {{"envs", ""}}).find("option 'envs'"), std::string::npos);
  EXPECT_NE(err("Sequential-v0", {{"envs", "Acrobot-v1,Nope-v9"}}).find("unknown env id 'Nope-v9'"),
            std::string::npos);
  EXPECT_NE(err("Sequential-v0", {{"envs", "CartPole-v1"}}).find("no goal"), std::string::npos);
  EXPECT_NE(err("Sequential-v0", {{"envs", "Pendulum-v1"}}).find("survive_steps"), std::string::npos);
  EXPECT_NE(err("Sequential-v0", {{"envs", "CartPole-v1,Acrobot-v1"}, {"survive_steps", "5"}})
                .find("'survive_steps' has 1 values for 2 envs"),
            std::string::npos);
  EXPECT_NE(err("Sequential-v0", {{"envs", "Acrobot-v1"}, {"reward_scales", "0"}}).find("reward_scale must be > 0"),
            std::string::npos);
  EXPECT_NE(err("Sequential-v0", {{"envs", "Acrobot-v1"}, {"reward_scales", "abc"}}).find("not a number"),
            std::string::npos);
  // a composite has a goal (its last phase cleared) and nests
  auto nested = MakeEnv("Sequential-v0", {{"envs", "Endgame-v0,Acrobot-v1"}});
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ((*nested)->obs_dim(), 2 + 1 + 29);
  EXPECT_NE(err("Endgame-v0", {{"balance_steps", "0"}}).find("balance_steps"), std::string::npos);
  EXPECT_NE(err("Endgame-v0", {{"phases", "3"}}).find("unknown option 'phases'"), std::string::npos);
  EXPECT_NE(err("Endgame-v0", {{"clear_bonus", "-1"}}).find("clear_bonus must be a number in [0, 1e6]"),
            std::string::npos);
  EXPECT_NE(err("Sequential-v0", {{"clear_bonus", "nan"}}).find("clear_bonus"), std::string::npos);
}

// The goal reports phases are cleared by: the lander's +100 ending is a goal, its crash
// is not; the car's termination always is.
TEST(TaskOutcomeTest, LanderAndCarReportTheirGoals) {
  auto lander = MakeEnv("LunarLanderContinuous-v3");
  ASSERT_TRUE(lander.ok());
  auto* outcome = dynamic_cast<TaskOutcome*>(lander->get());
  ASSERT_NE(outcome, nullptr);
  int landed = 0, crashed = 0;
  std::vector<float> obs(8), a(2);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    (*lander)->Reset(seed, obs);
    EXPECT_FALSE(outcome->goal_reached());
    StepResult r;
    while (!r.terminated && !r.truncated) {
      // the heuristic lands; with seed % 4 == 3 the engines stay off: a crash
      if (seed % 4 == 3) {
        a = {-1.0f, 0.0f};
      } else {
        LunarLander::Heuristic(obs.data(), true, a.data());
      }
      r = *(*lander)->Step(a, obs);
      if (!r.terminated) {
        EXPECT_FALSE(outcome->goal_reached());
      }
    }
    if (r.terminated) {
      EXPECT_EQ(outcome->goal_reached(), r.reward == 100.0) << "seed " << seed;
      (r.reward == 100.0 ? landed : crashed)++;
    }
  }
  EXPECT_GT(landed, 5);
  EXPECT_GE(crashed, 5);
  auto walker = MakeEnv("BipedalWalker-v3");
  auto* wo = dynamic_cast<TaskOutcome*>(walker->get());
  ASSERT_NE(wo, nullptr);
  std::vector<float> wobs(24);
  (*walker)->Reset(0, wobs);
  StepResult r;
  while (!r.terminated && !r.truncated) r = *(*walker)->Step(std::vector<float>{1, -1, 1, -1}, wobs);
  ASSERT_TRUE(r.terminated);  // it falls
  EXPECT_EQ(r.reward, -100.0);
  EXPECT_FALSE(wo->goal_reached());
  EXPECT_EQ(dynamic_cast<TaskOutcome*>(MakeEnv("CartPole-v1")->get()), nullptr);
}

}  // namespace
}  // namespace fleet::envs
