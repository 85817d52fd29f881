// Self-play's opponent pool (actor/opponent_pool.h): only the published versions offered
// to it are ever drawn, the pool keeps the configured snapshots, seats play legal moves in
// every env of a vector, and an env without a seat is refused.
#include "actor/opponent_pool.h"

#include <gtest/gtest.h>

#include <set>

#include "envs/board/tictactoe.h"
#include "envs/registry.h"
#include "learner/actor_critic.h"
#include "learner/weights.h"

namespace fleet {
namespace {

proto::PolicyWeights Published(uint64_t version, int obs_dim = 18) {
  torch::manual_seed(version);
  learner::NetworkOptions net;
  net.obs_dim = obs_dim;
  net.action_dim = 9;
  net.discrete = true;
  net.action_mask_offset = 9;
  net.mlp.hidden = {16};
  learner::ActorCritic model(net);
  {
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p));
  }
  return learner::ExportWeights(model, version);
}

SelfPlaySection Config() {
  SelfPlaySection c;
  c.enabled = true;
  c.pool_size = 3;
  c.snapshot_every = 5;
  c.latest_prob = 0.2;
  return c;
}

TEST(OpponentPoolTest, HoldsAndServesOnlyPublishedSnapshots) {
  auto spec = envs::GetSpec("TicTacToe-v0");
  ASSERT_TRUE(spec.ok());
  actor::OpponentPool pool(Config(), *spec);
  std::mt19937_64 rng(1);
  EXPECT_EQ(pool.Draw(rng), nullptr);  // nothing published yet
  // versions 1, 3, 5, ..., 25 published (an asynchronous actor may miss some):
  // 1 joins, then the first at least 5 later: 7, 13, 19, 25; the pool keeps the last 3.
  std::set<uint64_t> published;
  for (uint64_t v = 1; v <= 25; v += 2) {
    ASSERT_TRUE(pool.Offer(Published(v)).ok());
    published.insert(v);
  }
  EXPECT_EQ(pool.versions(), (std::vector<uint64_t>{13, 19, 25}));
  EXPECT_EQ(pool.latest_version(), 25u);
  // an older or repeated version changes nothing; weights that do not fit are refused.
  ASSERT_TRUE(pool.Offer(Published(21)).ok());
  EXPECT_EQ(pool.latest_version(), 25u);
  const Status bad = pool.Offer(Published(40, /*obs_dim=*/17));
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("v40"), std::string::npos);
  EXPECT_EQ(pool.versions(), (std::vector<uint64_t>{13, 19, 25}));
  std::map<uint64_t, int> drawn;
  for (int i = 0; i < 3000; ++i) {
    auto p = pool.Draw(rng);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(published.count(p->version())) << p->version();
    ++drawn[p->version()];
  }
  EXPECT_EQ(drawn.size(), 3u);
  // 13 and 19: 0.8 / 3 each; 25: 0.2 + 0.8 / 3.
  EXPECT_NEAR(drawn[13] / 3000.0, 0.8 / 3, 0.03);
  EXPECT_NEAR(drawn[25] / 3000.0, 0.2 + 0.8 / 3, 0.03);
  // a restarted learner (a new weights epoch) resumes at version 20: taken, counted anew.
  proto::PolicyWeights resumed = Published(20);
  resumed.set_weights_epoch(77);
  ASSERT_TRUE(pool.Offer(resumed).ok());
  EXPECT_EQ(pool.latest_version(), 20u);
  EXPECT_EQ(pool.versions(), (std::vector<uint64_t>{19, 25, 20}));
}

// The agent's side of `steps` steps of every TicTacToe env in `vec`: the lowest free
// cell. False if a step fails.
bool PlayLowestFreeCell(envs::VectorEnv& vec, int steps) {
  const int n = vec.num_envs();
  std::vector<float> obs(n * 18), rewards(n), actions(n);
  std::vector<uint8_t> term(n), trunc(n);
  envs::VectorStepOutput out;
  vec.Reset(0, obs);
  for (int step = 0; step < steps; ++step) {
    for (int e = 0; e < n; ++e) {
      int cell = 0;
      while (obs[e * 18 + 9 + cell] != 1.0f) ++cell;
      actions[e] = static_cast<float>(cell);
    }
    if (!vec.Step(actions, obs, rewards, term, trunc, out).ok()) return false;
  }
  return true;
}

TEST(SelfPlaySeatsTest, BuiltinProbHandsGamesToTheEnvsOwnOpponent) {
  auto vec = envs::VectorEnv::Create("TicTacToe-v0", 2);
  ASSERT_TRUE(vec.ok());
  SelfPlaySection c = Config();
  c.builtin_prob = 0.5;
  actor::OpponentPool pool(c, (*vec)->spec());
  ASSERT_TRUE(pool.Offer(Published(1)).ok());
  auto seats = actor::SelfPlaySeats::Install(**vec, pool, 5);
  ASSERT_TRUE(seats.ok());
  ASSERT_TRUE(PlayLowestFreeCell(**vec, 1000));
  auto games = (*seats)->GamesByVersion();
  const double builtin = static_cast<double>(games[actor::SelfPlaySeats::kBuiltin]);
  const double pooled = static_cast<double>(games[1]);
  EXPECT_EQ(games.size(), 2u);
  EXPECT_NEAR(builtin / (builtin + pooled), 0.5, 0.06);  // ~300 games
  EXPECT_EQ((*seats)->GreedyGames(), 0);  // greedy_prob 0: every opponent samples
}

TEST(SelfPlaySeatsTest, GreedyProbDecidesPerGame) {
  auto vec = envs::VectorEnv::Create("TicTacToe-v0", 2);
  ASSERT_TRUE(vec.ok());
  SelfPlaySection c = Config();
  c.greedy_prob = 0.3;
  actor::OpponentPool pool(c, (*vec)->spec());
  ASSERT_TRUE(pool.Offer(Published(1)).ok());
  auto seats = actor::SelfPlaySeats::Install(**vec, pool, 5);
  ASSERT_TRUE(seats.ok());
  ASSERT_TRUE(PlayLowestFreeCell(**vec, 2000));
  const double pooled = static_cast<double>((*seats)->GamesByVersion()[1]);
  ASSERT_GT(pooled, 500);
  EXPECT_NEAR(static_cast<double>((*seats)->GreedyGames()) / pooled, 0.3, 0.06);
}

TEST(SelfPlaySeatsTest, OpponentsPlayLegalMovesFromThePoolInEveryEnv) {
  auto vec = envs::VectorEnv::Create("TicTacToe-v0", 4);
  ASSERT_TRUE(vec.ok());
  actor::OpponentPool pool(Config(), (*vec)->spec());
  for (uint64_t v : {2, 8, 14}) ASSERT_TRUE(pool.Offer(Published(v)).ok());
  auto seats = actor::SelfPlaySeats::Install(**vec, pool, 11);
  ASSERT_TRUE(seats.ok()) << seats.status().ToString();
  std::vector<float> obs(4 * 18), rewards(4), actions(4);
  std::vector<uint8_t> term(4), trunc(4);
  envs::VectorStepOutput out;
  (*vec)->Reset(0, obs);
  std::mt19937_64 rng(3);
  int games = 0;
  for (int step = 0; step < 2000; ++step) {
    for (int e = 0; e < 4; ++e) {  // a random legal agent
      std::vector<int> legal;
      for (int j = 0; j < 9; ++j) {
        if (obs[e * 18 + 9 + j] == 1.0f) legal.push_back(j);
      }
      std::uniform_int_distribution<size_t> pick(0, legal.size() - 1);
      actions[e] = static_cast<float>(legal[pick(rng)]);
    }
    ASSERT_TRUE((*vec)->Step(actions, obs, rewards, term, trunc, out).ok());
    games += static_cast<int>(out.final_indices.size());
  }
  int64_t drawn_games = 0;
  for (const auto& [v, n] : (*seats)->GamesByVersion()) {
    EXPECT_TRUE(v == 2 || v == 8 || v == 14) << v;
    drawn_games += n;
  }
  // every game had an opponent from the pool (the last games may still be running).
  EXPECT_GE(drawn_games, games);
  EXPECT_LE(drawn_games, games + 4);
  for (int e = 0; e < 4; ++e) {
    auto& env = dynamic_cast<envs::TicTacToe&>((*vec)->env(e));
    EXPECT_EQ(env.opponent_illegal_moves(), 0);  // the mask holds for opponents too
    EXPECT_EQ(env.illegal_moves(), 0);
  }
  auto cartpole = envs::VectorEnv::Create("CartPole-v1", 2);
  auto refused = actor::SelfPlaySeats::Install(**cartpole, pool, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("CartPole-v1 has no opponent seat"), std::string::npos);
}

}  // namespace
}  // namespace fleet
