// End-to-end for the episode-based algorithms and self-play: `fleet run` with real store,
// learner and actor processes. REINFORCE and the group-relative policy gradient learn
// CartPole from whole episodes assembled across chunks; a TicTacToe self-play run plays
// opponents from its own published versions, and `fleet eval` / `fleet play` use its policy;
// SAC trains from samples of the store's replay table and its actors run its squashed
// Gaussian.
#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet {
namespace {

using testing::RunCommand;

std::string Fleet() { return std::string(FLEET_BIN_DIR) + "/fleet"; }
std::string ConfigPath(const std::string& name) {
  return std::string(FLEET_SOURCE_DIR) + "/configs/" + name;
}

double Sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

TEST(AlgorithmsEndToEndTest, ReinforceLearnsCartPoleFromWholeEpisodes) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  auto r = RunCommand(Fleet() + " run " + ConfigPath("cartpole_reinforce.yaml") + " --run-dir " +
                      run + " --set learner.total_env_steps=40960");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto m = testing::ReadCsv(run + "/metrics.csv");
  const auto& ret = m["mean_return_100"];
  ASSERT_GT(ret.size(), 20u);
  EXPECT_LT(ret.front(), 40.0);
  EXPECT_GT(ret.back(), 100.0) << "REINFORCE did not learn";
  // synchronous actors: the learner saw every chunk from each actor's first, so no
  // episode was dropped, and the episodes it trained on are the ones the actors ended.
  EXPECT_EQ(m["dropped_episodes"].back(), 0.0);
  const double trained = Sum(m["update_episodes"]);
  EXPECT_GT(trained, 0.0);
  EXPECT_LE(trained, m["episodes"].back());
  EXPECT_GE(trained, m["episodes"].back() - 8);  // at most one open episode per env
}

TEST(AlgorithmsEndToEndTest, GroupRelativeRunTrainsOnCompleteGroupsAndLearns) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  auto r = RunCommand(Fleet() + " run " + ConfigPath("cartpole_grpo.yaml") + " --run-dir " + run +
                      " --set learner.total_env_steps=61440 --set store.record=true");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto m = testing::ReadCsv(run + "/metrics.csv");
  const auto& ret = m["mean_return_100"];
  ASSERT_GT(ret.size(), 20u);
  EXPECT_GT(ret.back(), 2 * ret.front()) << "no learning";
  const double groups = Sum(m["update_groups"]);
  EXPECT_GT(groups, 50.0);
  EXPECT_LE(m["dropped_groups"].back(), 0.05 * groups);
  // the dataset records each finished episode's reset seed: every seed of an actor's group
  // starts (at most) 8 episodes, and complete groups hold exactly 8 (episodes cut at the
  // end of the run carry their env's stream seed instead and are left out).
  auto check = RunCommand(
      "/usr/bin/python3 -c \"import h5py,glob,collections,sys\n"
      "c=collections.Counter()\n"
      "for p in glob.glob(sys.argv[1]+'/shard-*.h5'):\n"
      "  f=h5py.File(p,'r'); e=f['episodes']\n"
      "  for a,s,cut in zip(e['actor_id'][:], e['seed'][:], e['cut'][:]):\n"
      "    if not cut: c[(int(a),int(s))]+=1\n"
      "print(max(c.values()), sum(1 for v in c.values() if v==8), len(c))\" " + run + "/dataset");
  ASSERT_EQ(check.exit_code, 0) << check.output;
  int most = 0, full = 0, seeds = 0;
  std::istringstream(check.output) >> most >> full >> seeds;
  EXPECT_EQ(most, 8) << check.output;
  EXPECT_GT(full, 20) << check.output;
}

TEST(AlgorithmsEndToEndTest, SelfPlayPlaysPublishedVersionsAndThePolicyIsPlayable) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  auto r = RunCommand(Fleet() + " run " + ConfigPath("tictactoe_selfplay.yaml") + " --run-dir " +
                      run + " --set learner.total_env_steps=40960 --set selfplay.snapshot_every=5"
                      " --set env.options.random_opening_prob=0.25");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto m = testing::ReadCsv(run + "/metrics.csv");
  const double last_version = m["policy_version"].back();
  // each actor logs its games by opponent version: only versions the learner published
  // (0 .. the last), and the built-in player.
  for (const char* actor : {"actor-0.log", "actor-1.log"}) {
    const std::string log = testing::ReadFile(run + "/logs/" + actor);
    const size_t at = log.find("self-play games by opponent version {");
    ASSERT_NE(at, std::string::npos) << log;
    const std::string games = log.substr(at, log.find('}', at) - at);
    EXPECT_NE(games.find("built-in: "), std::string::npos) << games;
    std::regex version("v([0-9]+): ([0-9]+)");
    int versions = 0;
    for (std::sregex_iterator it(games.begin(), games.end(), version), end; it != end; ++it) {
      EXPECT_LE(std::stod((*it)[1]), last_version) << games;
      ++versions;
    }
    EXPECT_GT(versions, 3) << games;
  }
  // the run's random openings are training-only: the evaluation plays real games (its
  // notice on stderr, the result alone on stdout)
  const std::string eval_err = dir.path() + "/eval.err";
  auto eval = RunCommand("{ " + Fleet() + " eval " + run +
                         " --episodes 200 --env-option opponent=minimax 2>" + eval_err + "; }");
  ASSERT_EQ(eval.exit_code, 0) << eval.output << testing::ReadFile(eval_err);
  EXPECT_NE(testing::ReadFile(eval_err).find(
                "not carrying over the run's training-only env option random_opening_prob=0.25"),
            std::string::npos)
      << testing::ReadFile(eval_err);
  auto result = ParseJson(eval.output, "fleet eval's output");
  ASSERT_TRUE(result.ok()) << eval.output;
  const Json& det = (*result)["deterministic"];
  EXPECT_EQ(det["win_rate"].get<double>(), 0.0) << eval.output;  // nobody beats minimax
  EXPECT_NEAR(det["draw_rate"].get<double>() + det["loss_rate"].get<double>(), 1.0, 1e-9);
  // the greedy policy's exact outcome by the game tree, against both built-in players:
  // the 200 sampled games against minimax agree with it (within 4 standard errors; none
  // lost when the tree says no game can be).
  const Json& tree = result->value("game_tree", Json());
  ASSERT_TRUE(tree.contains("random") && tree.contains("minimax")) << eval.output;
  for (const char* opponent : {"random", "minimax"}) {
    const Json& t = tree[opponent];
    EXPECT_NEAR(t["win"].get<double>() + t["draw"].get<double>() + t["loss"].get<double>(), 1.0, 1e-9);
    EXPECT_EQ(t["losing_games"].get<int64_t>() > 0, t["loss"].get<double>() > 0) << t;
  }
  EXPECT_EQ(tree["minimax"]["win"].get<double>(), 0.0);
  const double p = tree["minimax"]["loss"].get<double>();
  EXPECT_NEAR(det["loss_rate"].get<double>(), p, 4 * std::sqrt(p * (1 - p) / 200) + 1e-9) << eval.output;
  auto play = RunCommand("printf '5\\n1\\n9\\n3\\n7\\n2\\n4\\n6\\n8\\n' | " + Fleet() + " play " + run +
                         " --first you --games 1 --seed 2");
  ASSERT_EQ(play.exit_code, 0) << play.output;
  EXPECT_NE(play.output.find("games 1: the agent won"), std::string::npos) << play.output;
  auto refused = RunCommand(Fleet() + " eval " + run + " --episodes 2 --env-option opponent");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("not KEY=VALUE"), std::string::npos) << refused.output;
}

// SAC through the store's replay table: the actors act at random until the table holds
// replay.min_size transitions and the learner's first update, then with the learner's
// squashed Gaussian; the rate limiter holds 64 sampled transitions per inserted one (one
// update of 64 per env step); `fleet eval` runs the final policy deterministically.
TEST(AlgorithmsEndToEndTest, SacTrainsFromTheReplayTableAtTheConfiguredRatio) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  auto r = RunCommand(Fleet() + " run " + ConfigPath("pendulum_sac.yaml") + " --run-dir " + run +
                      " --set learner.total_env_steps=3000 --set replay.min_size=500"
                      " --set learner.sac.learning_starts=500 --set replay.samples_per_insert=64"
                      " --set learner.sac.batch_size=64 --set learner.sac.hidden=[32,32]"
                      " --set learner.sac.log_every=100 --set learner.checkpoint_every=1000");
  ASSERT_EQ(r.exit_code, 0) << r.output << testing::ReadFile(run + "/logs/learner.log");
  auto m = testing::ReadCsv(run + "/metrics.csv");
  ASSERT_GE(m["update"].size(), 15u);
  const double steps = m["env_steps"].back(), updates = m["update"].back();
  // one update per env step past the first 500, within the error buffer (8 x 64 + 4096
  // samples = 72 updates) and a chunk
  EXPECT_NEAR(updates, steps - 500, 90) << "steps " << steps;
  EXPECT_NEAR(m["samples_per_insert"].back(), 64.0 * (steps - 500) / steps, 3.0);
  EXPECT_GT(m["replay_size"].back(), 2000);
  for (double a : m["alpha"]) EXPECT_GT(a, 0.0);
  auto summary = testing::ReadJson(run + "/summary.json");
  EXPECT_GE(summary.value("env_steps", int64_t{0}), 3000);
  EXPECT_EQ(summary.value("algo", std::string()), "sac");
  const std::string store_log = testing::ReadFile(run + "/logs/store.log");
  EXPECT_NE(store_log.find("replay table: 100000 transitions, 64 samples per insert"), std::string::npos)
      << store_log;
  auto eval = RunCommand(Fleet() + " eval " + run + " --episodes 4");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  auto result = ParseJson(eval.output, "fleet eval's output");
  ASSERT_TRUE(result.ok()) << eval.output;
  EXPECT_EQ((*result)["policy"].get<std::string>(), "squashed_gaussian") << eval.output;
  const double ret = (*result)["deterministic"]["mean"].get<double>();
  EXPECT_LT(ret, 0.0);  // Pendulum's rewards are all <= 0
  EXPECT_GT(ret, -2000.0);
}

// A resumed SAC run starts with its replay table refilled from the run's recorded
// dataset: it trains at once (one update per new env step) instead of waiting for
// replay.min_size new transitions.
TEST(AlgorithmsEndToEndTest, ResumedSacRefillsItsReplayTableFromTheRecordedDataset) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  const std::string small =
      " --set replay.min_size=500 --set learner.sac.learning_starts=500"
      " --set replay.samples_per_insert=64 --set learner.sac.batch_size=64"
      " --set learner.sac.hidden=[32,32] --set learner.sac.log_every=50 --set store.record=true";
  auto first = RunCommand(Fleet() + " run " + ConfigPath("pendulum_sac.yaml") + " --run-dir " + run +
                          small + " --set learner.total_env_steps=1500");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const double updates_before = testing::ReadCsv(run + "/metrics.csv")["update"].back();
  const double steps_before = testing::ReadJson(run + "/summary.json").value("env_steps", 0.0);
  auto resumed = RunCommand(Fleet() + " run --resume " + run + " --set learner.total_env_steps=2500");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const std::string store_log = testing::ReadFile(run + "/logs/store.log");
  EXPECT_NE(store_log.find("replay table refilled with"), std::string::npos) << store_log;
  auto m = testing::ReadCsv(run + "/metrics.csv");
  const double new_steps = m["env_steps"].back() - steps_before;
  const double new_updates = m["update"].back() - updates_before;
  ASSERT_GT(new_steps, 900);
  // without the refill the first 500 new steps would only fill the table
  EXPECT_GT(new_updates, new_steps - 150) << new_steps << " new steps";
  EXPECT_NE(testing::ReadFile(run + "/logs/learner.log").find("resumed from"), std::string::npos);
}

}  // namespace
}  // namespace fleet
