// TicTacToe-v0 (envs/board/tictactoe.h): the perfect player is perfect, the observation
// and its action mask, the rules (wins, losses, draws, illegal moves), who moves first.
#include "envs/board/tictactoe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace fleet::envs {
namespace {

using tictactoe::Board;

// Negamax over the game tree without memo or the solved table: the reference value.
int BruteValue(Board& b, int to_move) {
  if (int w = tictactoe::Winner(b); w != 0) return w == to_move ? 1 : -1;
  if (tictactoe::Full(b)) return 0;
  int best = -2;
  for (int m = 0; m < 9; ++m) {
    if (b[m] != 0) continue;
    b[m] = static_cast<int8_t>(to_move);
    best = std::max(best, -BruteValue(b, -to_move));
    b[m] = 0;
  }
  return best;
}

// Every position reachable in a game, with the side to move (the two sides alternate;
// either may start).
void Reachable(Board& b, int to_move, std::map<std::pair<Board, int>, bool>& out) {
  if (!out.emplace(std::make_pair(b, to_move), true).second) return;
  if (tictactoe::Winner(b) != 0 || tictactoe::Full(b)) return;
  for (int m = 0; m < 9; ++m) {
    if (b[m] != 0) continue;
    b[m] = static_cast<int8_t>(to_move);
    Reachable(b, -to_move, out);
    b[m] = 0;
  }
}

// The worst outcome for `me` (who plays only optimal moves, any of them) against every
// possible sequence of opponent moves, from `b` with `to_move` to move.
int WorstOutcome(Board& b, int to_move, int me) {
  if (int w = tictactoe::Winner(b); w != 0) return w == me ? 1 : -1;
  if (tictactoe::Full(b)) return 0;
  std::vector<int> moves;
  if (to_move == me) {
    moves = tictactoe::OptimalMoves(b, me);
  } else {
    for (int m = 0; m < 9; ++m) {
      if (b[m] == 0) moves.push_back(m);
    }
  }
  int worst = 2;
  for (int m : moves) {
    b[m] = static_cast<int8_t>(to_move);
    worst = std::min(worst, WorstOutcome(b, -to_move, me));
    b[m] = 0;
  }
  return worst;
}

TEST(TicTacToeMinimaxTest, ValuesMatchBruteForceOnEveryReachablePosition) {
  std::map<std::pair<Board, int>, bool> positions;
  Board empty{};
  Reachable(empty, 1, positions);
  Reachable(empty, -1, positions);
  EXPECT_EQ(positions.size(), 2u * 5478u);  // 5478 legal positions for each side starting
  for (const auto& [key, unused] : positions) {
    Board b = key.first;
    EXPECT_EQ(tictactoe::MinimaxValue(b, key.second), BruteValue(b, key.second));
  }
  EXPECT_EQ(tictactoe::MinimaxValue(empty, 1), 0);  // Tic-Tac-Toe is a draw
}

// The perfect player never does worse than a position's value, against every opponent
// reply, from every position where it is to move: in particular it never loses a game.
TEST(TicTacToeMinimaxTest, ThePerfectPlayerNeverLosesFromAnyPosition) {
  std::map<std::pair<Board, int>, bool> positions;
  Board empty{};
  Reachable(empty, 1, positions);
  Reachable(empty, -1, positions);
  int checked = 0;
  for (const auto& [key, unused] : positions) {
    Board b = key.first;
    const int me = key.second;
    if (tictactoe::Winner(b) != 0 || tictactoe::Full(b)) continue;
    const int value = tictactoe::MinimaxValue(b, me);
    ASSERT_EQ(WorstOutcome(b, me, me), value) << "position " << checked;
    ++checked;
  }
  EXPECT_GT(checked, 8000);
  Board start{};
  EXPECT_EQ(WorstOutcome(start, 1, 1), 0);   // moving first: never loses
  EXPECT_EQ(WorstOutcome(start, -1, 1), 0);  // moving second: never loses
}

TEST(TicTacToeMinimaxTest, OptimalMovesTakeAWinAndBlockALoss) {
  auto contains = [](const std::vector<int>& v, int m) {
    return std::find(v.begin(), v.end(), m) != v.end();
  };
  // X X . / O O . / . . .  with X (+1) to move: 2 wins at once; 3-8 but 5 lose at once.
  const Board b = {1, 1, 0, -1, -1, 0, 0, 0, 0};
  EXPECT_TRUE(contains(tictactoe::OptimalMoves(b, 1), 2));
  EXPECT_EQ(tictactoe::MinimaxValue(b, 1), 1);
  EXPECT_TRUE(contains(tictactoe::OptimalMoves(b, -1), 5));
  // X X . / . O . / . . .  with O to move: only the block at 2 does not lose.
  const Board c = {1, 1, 0, 0, -1, 0, 0, 0, 0};
  EXPECT_EQ(tictactoe::OptimalMoves(c, -1), (std::vector<int>{2}));
  // a finished game has no moves
  const Board won = {1, 1, 1, -1, -1, 0, 0, 0, 0};
  EXPECT_TRUE(tictactoe::OptimalMoves(won, -1).empty());
}

std::unique_ptr<Env> Make(std::map<std::string, std::string> options = {}) {
  auto env = MakeEnv("TicTacToe-v0", options);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(*env);
}

TicTacToe& Ttt(Env& e) { return dynamic_cast<TicTacToe&>(e); }

TEST(TicTacToeTest, ObservationIsTheBoardFromTheAgentsSideAndTheMask) {
  auto env = Make();
  float obs[18];
  for (uint64_t seed = 0; seed < 50; ++seed) {
    env->Reset(seed, obs);
    const Board& b = Ttt(*env).board();
    int marks = 0;
    for (int i = 0; i < 9; ++i) {
      EXPECT_EQ(obs[i], b[i]);
      EXPECT_EQ(obs[9 + i], b[i] == 0 ? 1.0f : 0.0f);
      marks += b[i] != 0;
    }
    // the agent has moved first on an empty board, or the opponent has made one mark.
    EXPECT_EQ(marks, Ttt(*env).agent_moved_first() ? 0 : 1);
  }
}

TEST(TicTacToeTest, EitherSideMovesFirstAtRandom) {
  auto env = Make();
  float obs[18];
  int agent_first = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    env->Reset(seed, obs);
    agent_first += Ttt(*env).agent_moved_first();
  }
  EXPECT_GT(agent_first, 900);  // binomial(2000, 0.5): mean 1000, sd 22
  EXPECT_LT(agent_first, 1100);
  auto always = Make({{"first_move_prob", "1"}});
  for (uint64_t seed = 0; seed < 100; ++seed) {
    always->Reset(seed, obs);
    EXPECT_TRUE(Ttt(*always).agent_moved_first());
  }
  EXPECT_FALSE(MakeEnv("TicTacToe-v0", {{"first_move_prob", "1.5"}}).ok());
  auto bad = MakeEnv("TicTacToe-v0", {{"opponent", "alphazero"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'random', 'minimax'"), std::string::npos);
}

// An opponent that marks the lowest empty cell makes the games scripted.
void LowestEmpty(Env& env) {
  Ttt(env).SetOpponent([](std::span<const float> obs, bool) {
    for (int i = 0; i < 9; ++i) {
      if (obs[9 + i] == 1.0f) return i;
    }
    return -1;
  });
}

StepResult Play(Env& env, int cell, float* obs) {
  const float a = static_cast<float>(cell);
  auto r = env.Step(std::span<const float>(&a, 1), std::span<float>(obs, 18));
  EXPECT_TRUE(r.ok());
  return *r;
}

TEST(TicTacToeTest, WinsLossesDrawsAndIllegalMoves) {
  auto env = Make({{"first_move_prob", "1"}});
  LowestEmpty(*env);
  float obs[18];
  // agent 0, 4, 8 (the diagonal); the opponent 1, 2: a win on the third move.
  env->Reset(1, obs);
  EXPECT_EQ(Play(*env, 0, obs).reward, 0.0);
  EXPECT_EQ(obs[1], -1.0f);  // the opponent's reply is in the observation
  EXPECT_EQ(obs[10], 0.0f);  // and masked
  EXPECT_FALSE(Play(*env, 4, obs).terminated);
  StepResult r = Play(*env, 8, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 1.0);
  // agent 8, 7, 5; the opponent 0, 1, 2: a loss.
  env->Reset(2, obs);
  Play(*env, 8, obs);
  Play(*env, 7, obs);
  r = Play(*env, 5, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, -1.0);
  // an occupied cell: a loss, counted.
  env->Reset(3, obs);
  Play(*env, 4, obs);  // the opponent takes 0
  r = Play(*env, 0, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_EQ(Ttt(*env).illegal_moves(), 1);
  // a draw: agent 4, 2, 3, 7, 8; the opponent 0, 1, 5, 6 -> X O X / X X O / O X X... the
  // opponent takes the lowest empty cell: agent 4 (opp 0), 2 (opp 1), 6? would win: use
  // 3 (opp 5), 7 (opp 6), 8: O O X / X X O / O X X, no line.
  env->Reset(4, obs);
  for (int cell : {4, 2, 3, 7}) EXPECT_FALSE(Play(*env, cell, obs).terminated);
  r = Play(*env, 8, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
}

TEST(TicTacToeTest, TheMinimaxOpponentNeverLosesAndPerfectPlayDraws) {
  auto random_env = Make({{"opponent", "minimax"}});
  float obs[18];
  std::mt19937_64 rng(1);
  int draws = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    random_env->Reset(seed, obs);
    while (true) {
      std::vector<int> legal;
      for (int i = 0; i < 9; ++i) {
        if (obs[9 + i] == 1.0f) legal.push_back(i);
      }
      std::uniform_int_distribution<size_t> pick(0, legal.size() - 1);
      StepResult r = Play(*random_env, legal[pick(rng)], obs);
      if (r.terminated) {
        EXPECT_LE(r.reward, 0.0);  // a random agent never beats the perfect opponent
        break;
      }
    }
  }
  // the env's scripted controller (the perfect player) against the perfect opponent:
  // every game a draw, whoever starts.
  auto controller = GetScriptedController("TicTacToe-v0");
  ASSERT_TRUE(controller.ok());
  for (uint64_t seed = 0; seed < 100; ++seed) {
    random_env->Reset(seed, obs);
    while (true) {
      float a;
      (*controller)(obs, &a);
      auto r = random_env->Step(std::span<const float>(&a, 1), std::span<float>(obs, 18));
      ASSERT_TRUE(r.ok());
      if (r->terminated) {
        draws += r->reward == 0.0;
        break;
      }
    }
  }
  EXPECT_EQ(draws, 100);
  EXPECT_EQ(Ttt(*random_env).illegal_moves(), 0);
}

TEST(TicTacToeTest, APluggedOpponentsIllegalMoveFallsBackToTheBuiltInOne) {
  auto env = Make({{"first_move_prob", "1"}});
  std::vector<bool> new_game;
  Ttt(*env).SetOpponent([&](std::span<const float>, bool first) {
    new_game.push_back(first);
    return 4;  // always the centre
  });
  float obs[18];
  env->Reset(5, obs);
  Play(*env, 4, obs);  // the agent takes the centre: the opponent's 4 is refused
  EXPECT_EQ(Ttt(*env).opponent_illegal_moves(), 1);
  int marks = 0;
  for (int i = 0; i < 9; ++i) marks += obs[i] == -1.0f;
  EXPECT_EQ(marks, 1);
  int free_cell = 0;
  while (obs[9 + free_cell] != 1.0f) ++free_cell;
  EXPECT_FALSE(Play(*env, free_cell, obs).terminated);  // the opponent's second move of the game
  EXPECT_EQ(new_game, (std::vector<bool>{true, false}));
  env->Reset(6, obs);
  Play(*env, 0, obs);  // a new game: its first move again
  EXPECT_EQ(new_game.back(), true);
}

// opponent_epsilon replaces opponent moves by random ones: the minimax opponent never
// loses to an agent that marks the lowest free cell, a fully random one often does, and
// epsilon 0.3 lies between; bad values are named.
TEST(TicTacToeTest, OpponentEpsilonMakesTheOpponentStray) {
  auto wins = [](double eps) {
    auto env = Make({{"opponent", "minimax"}, {"opponent_epsilon", std::to_string(eps)}});
    float obs[18];
    int won = 0;
    for (uint64_t seed = 0; seed < 400; ++seed) {
      env->Reset(seed, obs);
      while (true) {
        int cell = 0;
        while (obs[9 + cell] != 1.0f) ++cell;
        StepResult r = Play(*env, cell, obs);
        if (r.terminated) {
          won += r.reward > 0;
          break;
        }
      }
    }
    return won;
  };
  const int none = wins(0.0), some = wins(0.3), all = wins(1.0);
  EXPECT_EQ(none, 0);
  EXPECT_GT(some, 20);
  EXPECT_GT(all, some + 20);
  auto refused = MakeEnv("TicTacToe-v0", {{"opponent_epsilon", "1.5"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("opponent_epsilon"), std::string::npos);
}

// random_opening_prob: the game's first mark, whoever makes it, lands on a uniformly
// random cell. The plugged-in opponent always asks for the centre (or the lowest free
// cell): without the option its opening is always the centre and the agent's first
// observation holds no mark of its own; with it, both sides' openings cover every cell,
// the agent's opening is answered before its first observation, and the opponent is
// still asked (new game) for the move that was overridden.
TEST(TicTacToeTest, RandomOpeningsCoverEveryCellForBothSides) {
  auto count = [](double p, std::array<int, 9>& agent_open, std::array<int, 9>& opp_open,
                  int& asked_new_game) {
    auto env = Make({{"random_opening_prob", std::to_string(p)}});
    asked_new_game = 0;
    Ttt(*env).SetOpponent([&](std::span<const float> obs, bool first) {
      asked_new_game += first;
      if (obs[9 + 4] == 1.0f) return 4;
      int cell = 0;
      while (obs[9 + cell] != 1.0f) ++cell;
      return cell;
    });
    agent_open.fill(0);
    opp_open.fill(0);
    float obs[18];
    for (uint64_t seed = 0; seed < 900; ++seed) {
      env->Reset(seed, obs);
      int mine = 0, theirs = 0, my_cell = -1, their_cell = -1;
      for (int i = 0; i < 9; ++i) {
        if (obs[i] == 1.0f) ++mine, my_cell = i;
        if (obs[i] == -1.0f) ++theirs, their_cell = i;
      }
      if (Ttt(*env).agent_moved_first()) {
        if (mine == 0) {
          EXPECT_EQ(theirs, 0);
          continue;
        }
        EXPECT_EQ(mine, 1);
        EXPECT_EQ(theirs, 1);  // answered before the agent's first observation
        EXPECT_EQ(their_cell, my_cell == 4 ? 0 : 4);
        ++agent_open[my_cell];
      } else {
        EXPECT_EQ(mine, 0);
        EXPECT_EQ(theirs, 1);
        ++opp_open[their_cell];
      }
    }
  };
  std::array<int, 9> agent_open, opp_open;
  int asked = 0;
  count(0.0, agent_open, opp_open, asked);
  EXPECT_EQ(*std::max_element(agent_open.begin(), agent_open.end()), 0);
  EXPECT_EQ(opp_open[4], std::accumulate(opp_open.begin(), opp_open.end(), 0));
  count(1.0, agent_open, opp_open, asked);
  const int agent_games = std::accumulate(agent_open.begin(), agent_open.end(), 0);
  const int opp_games = std::accumulate(opp_open.begin(), opp_open.end(), 0);
  EXPECT_EQ(agent_games + opp_games, 900);
  EXPECT_EQ(asked, 900);  // every game's first opponent move was asked for, overridden or not
  for (int c = 0; c < 9; ++c) {
    EXPECT_GT(agent_open[c], agent_games / 9 / 2) << "cell " << c;
    EXPECT_GT(opp_open[c], opp_games / 9 / 2) << "cell " << c;
  }
  auto refused = MakeEnv("TicTacToe-v0", {{"random_opening_prob", "-0.1"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("random_opening_prob"), std::string::npos);
  // exploration knobs are training-only: `fleet eval` does not inherit them from a run
  const auto spec = Make()->spec();
  EXPECT_NE(std::find(spec.training_only_options.begin(), spec.training_only_options.end(),
                      "random_opening_prob"),
            spec.training_only_options.end());
  EXPECT_NE(std::find(spec.training_only_options.begin(), spec.training_only_options.end(),
                      "opponent_epsilon"),
            spec.training_only_options.end());
}

TEST(TicTacToeTest, SameSeedSameGame) {
  auto a = Make(), b = Make();
  float oa[18], ob[18];
  for (uint64_t seed = 0; seed < 20; ++seed) {
    a->Reset(seed, oa);
    b->Reset(seed, ob);
    for (int i = 0; i < 18; ++i) ASSERT_EQ(oa[i], ob[i]);
    while (true) {
      int cell = 0;
      while (oa[9 + cell] != 1.0f) ++cell;
      StepResult ra = Play(*a, cell, oa), rb = Play(*b, cell, ob);
      for (int i = 0; i < 18; ++i) ASSERT_EQ(oa[i], ob[i]);
      ASSERT_EQ(ra.reward, rb.reward);
      if (ra.terminated) break;
    }
  }
}

// The first empty cell, in cell order: a weak, deterministic agent.
int FirstEmpty(const Board& b) {
  int cell = 0;
  while (b[cell] != 0) ++cell;
  return cell;
}

TEST(TicTacToeExactOutcomeTest, AHandPlayedLineAgainstMinimax) {
  // Moving first, the first-empty agent plays 1; minimax's only drawing reply to a corner
  // is the centre 5; X 2 threatens 3, the only move that does not lose is to block it,
  // which threatens 7 (3-5-7); X 4 threatens 7 too, but O moves first: one game, lost.
  const tictactoe::ExactOutcome e = tictactoe::ExactOutcomeAgainst(FirstEmpty, true, 1.0);
  EXPECT_DOUBLE_EQ(e.loss, 1.0);
  EXPECT_EQ(e.games, 1);
  EXPECT_EQ(e.losing_games, 1);
  ASSERT_EQ(e.losing_lines.size(), 1u);
  EXPECT_EQ(e.losing_lines[0], "X1 O5 X2 O3 X4 O7");
}

TEST(TicTacToeExactOutcomeTest, AnIllegalMoveLosesAsInTheEnv) {
  // Always cell 1, moving second against the random player: O takes 1 first (1/9, one
  // game), or X takes it and repeats it next turn (8 x 7 games): every game lost.
  const tictactoe::ExactOutcome e = tictactoe::ExactOutcomeAgainst([](const Board&) { return 0; }, false, 0.0);
  EXPECT_NEAR(e.loss, 1.0, 1e-12);
  EXPECT_EQ(e.games, 1 + 8 * 7);
  EXPECT_EQ(e.losing_games, 57);
  ASSERT_EQ(e.losing_lines.size(), static_cast<size_t>(tictactoe::ExactOutcome::kMaxLosingLines));
  EXPECT_EQ(e.losing_lines[0], "O1 X?");  // the most probable loss: 1/9
}

TEST(TicTacToeExactOutcomeTest, ThePerfectPlayerNeverLoses) {
  auto perfect = [](const Board& b) { return tictactoe::OptimalMoves(b, 1)[0]; };
  for (const bool minimax : {false, true}) {
    const tictactoe::ExactOutcome e = tictactoe::ExactOutcomeAgainst(perfect, minimax, 0.5);
    EXPECT_EQ(e.loss, 0.0);
    EXPECT_EQ(e.losing_games, 0);
    EXPECT_TRUE(e.losing_lines.empty());
    EXPECT_NEAR(e.win + e.draw, 1.0, 1e-12);
    if (minimax) {
      EXPECT_NEAR(e.draw, 1.0, 1e-12);  // perfect against perfect: a draw
    }
  }
}

TEST(TicTacToeExactOutcomeTest, MatchesGamesPlayedInTheEnv) {
  // The walk's opponent model is the env's: the first-empty agent's exact win/draw/loss
  // probabilities against the random player, first mover drawn 50/50, agree with 20000
  // games in TicTacToe-v0 within 4 standard errors.
  const tictactoe::ExactOutcome e = tictactoe::ExactOutcomeAgainst(FirstEmpty, false, 0.5);
  EXPECT_NEAR(e.win + e.draw + e.loss, 1.0, 1e-12);
  EXPECT_GT(e.loss, 0.05);  // a weak agent: all three outcomes occur
  EXPECT_GT(e.win, 0.05);
  auto env = Make();
  float obs[18];
  const int n = 20000;
  int wins = 0, losses = 0;
  for (int g = 0; g < n; ++g) {
    env->Reset(static_cast<uint64_t>(g), obs);
    while (true) {
      StepResult r = Play(*env, FirstEmpty(Ttt(*env).board()), obs);
      if (r.terminated) {
        wins += r.reward > 0;
        losses += r.reward < 0;
        break;
      }
    }
  }
  auto se = [&](double p) { return std::sqrt(p * (1 - p) / n); };
  EXPECT_NEAR(static_cast<double>(wins) / n, e.win, 4 * se(e.win));
  EXPECT_NEAR(static_cast<double>(losses) / n, e.loss, 4 * se(e.loss));
}

}  // namespace
}  // namespace fleet::envs
