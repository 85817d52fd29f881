// `fleet play` (orchestrator/play.h): a scripted person plays the agent through streams:
// bad and taken cells are refused with a message, the game is played to its end and
// scored, and quitting ends the session with the tally so far.
#include "orchestrator/play.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace fleet::orchestrator {
namespace {

// A greedy agent that always takes the lowest free cell: a linear actor whose logits are
// -cell (the mask removes taken cells), a zero critic.
std::string WriteLowestCellPolicy(const std::string& dir) {
  proto::PolicyWeights w;
  w.set_version(3);
  w.set_distribution(proto::DISTRIBUTION_CATEGORICAL);
  proto::Layer* a = w.mutable_actor()->add_layers();
  a->set_in_dim(18);
  a->set_out_dim(9);
  for (int i = 0; i < 18 * 9; ++i) a->add_weight(0.0f);
  for (int j = 0; j < 9; ++j) a->add_bias(-static_cast<float>(j));
  proto::Layer* c = w.mutable_critic()->add_layers();
  c->set_in_dim(18);
  c->set_out_dim(1);
  for (int i = 0; i < 18; ++i) c->add_weight(0.0f);
  c->add_bias(0.0f);
  const std::string path = dir + "/policy.pb";
  std::ofstream(path, std::ios::binary) << w.SerializeAsString();
  return path;
}

TEST(PlayTest, APersonPlaysTheAgentToTheEnd) {
  testing::TempDir dir;
  PlayOptions o;
  o.run = WriteLowestCellPolicy(dir.path());
  o.env_id = "TicTacToe-v0";
  o.games = 2;
  o.first = "you";
  o.seed = 1;
  // you 5 (the centre); the agent 1; "x" and "1" refused; you 3; the agent 2; you 7:
  // O on 3, 5, 7 wins. Then the input ends during game 2.
  std::istringstream in("5\nx\n1\n3\n7\n");
  std::ostringstream out;
  auto tally = Play(o, in, out);
  ASSERT_TRUE(tally.ok()) << tally.status().ToString();
  const std::string text = out.str();
  EXPECT_NE(text.find("'x' is not a cell"), std::string::npos) << text;
  EXPECT_NE(text.find("cell 1 is taken"), std::string::npos) << text;
  EXPECT_NE(text.find("the agent marks 1"), std::string::npos);
  EXPECT_NE(text.find("the agent marks 2"), std::string::npos);
  EXPECT_NE(text.find("you win"), std::string::npos);
  EXPECT_NE(text.find(" X | X | O"), std::string::npos) << text;  // the final board's top row
  EXPECT_EQ(tally->games, 1);
  EXPECT_EQ(tally->your_wins, 1);
  EXPECT_NE(text.find("games 1: the agent won 0, you won 1, draws 0"), std::string::npos);
}

TEST(PlayTest, RefusesEnvsAPersonCannotPlayAndBadOptions) {
  testing::TempDir dir;
  PlayOptions o;
  o.run = WriteLowestCellPolicy(dir.path());
  o.env_id = "CartPole-v1";
  std::istringstream in;
  std::ostringstream out;
  auto r = Play(o, in, out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("CartPole-v1 is not a game"), std::string::npos);
  o.env_id = "TicTacToe-v0";
  o.first = "me";
  EXPECT_FALSE(Play(o, in, out).ok());
}

}  // namespace
}  // namespace fleet::orchestrator
