// End-to-end for the episode-based algorithms and self-play: `fleet run` with real store,
// learner and actor processes. REINFORCE and the group-relative policy gradient learn
// CartPole from whole episodes assembled across chunks; a TicTacToe self-play run plays
// opponents from its own published versions, and `fleet eval` / `fleet play` use its policy.
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
                      run + " --set learner.total_env_steps=40960 --set selfplay.snapshot_every=5");
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
  auto eval = RunCommand(Fleet() + " eval " + run + " --episodes 200 --env-option opponent=minimax");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  auto result = ParseJson(eval.output, "fleet eval's output");
  ASSERT_TRUE(result.ok()) << eval.output;
  const Json& det = (*result)["deterministic"];
  EXPECT_EQ(det["win_rate"].get<double>(), 0.0) << eval.output;  // nobody beats minimax
  EXPECT_NEAR(det["draw_rate"].get<double>() + det["loss_rate"].get<double>(), 1.0, 1e-9);
  auto play = RunCommand("printf '5\\n1\\n9\\n3\\n7\\n2\\n4\\n6\\n8\\n' | " + Fleet() + " play " + run +
                         " --first you --games 1 --seed 2");
  ASSERT_EQ(play.exit_code, 0) << play.output;
  EXPECT_NE(play.output.find("games 1: the agent won"), std::string::npos) << play.output;
  auto refused = RunCommand(Fleet() + " eval " + run + " --episodes 2 --env-option opponent");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("not KEY=VALUE"), std::string::npos) << refused.output;
}

}  // namespace
}  // namespace fleet
