#include "envs/board/tictactoe.h"

#include <algorithm>

namespace fleet::envs {
namespace tictactoe {
namespace {

constexpr int kLines[8][3] = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 3, 6},
                              {1, 4, 7}, {2, 5, 8}, {0, 4, 8}, {2, 4, 6}};

int Encode(const Board& b) {
  int code = 0;
  for (int8_t c : b) code = code * 3 + (c + 1);
  return code;
}

// Values of every position for both sides to move, by negamax over the whole game tree
// (3^9 boards x 2 sides), filled once on first use (thread-safe static initialization).
struct Table {
  std::array<int8_t, 19683 * 2> value;
  std::array<uint8_t, 19683 * 2> known{};
  int Solve(Board& b, int to_move) {
    const int slot = Encode(b) * 2 + (to_move > 0 ? 1 : 0);
    if (known[slot]) return value[slot];
    int v;
    if (const int w = Winner(b); w != 0) {
      v = w == to_move ? 1 : -1;
    } else if (Full(b)) {
      v = 0;
    } else {
      v = -2;
      for (int m = 0; m < 9; ++m) {
        if (b[m] != 0) continue;
        b[m] = static_cast<int8_t>(to_move);
        v = std::max(v, -Solve(b, -to_move));
        b[m] = 0;
      }
    }
    known[slot] = 1;
    value[slot] = static_cast<int8_t>(v);
    return v;
  }
};

Table& Solved() {
  static Table* table = [] {
    auto* t = new Table();
    Board empty{};
    t->Solve(empty, 1);
    t->Solve(empty, -1);
    return t;
  }();
  return *table;
}

}  // namespace

int Winner(const Board& b) {
  for (const auto& l : kLines) {
    if (b[l[0]] != 0 && b[l[0]] == b[l[1]] && b[l[1]] == b[l[2]]) return b[l[0]];
  }
  return 0;
}

bool Full(const Board& b) {
  return std::none_of(b.begin(), b.end(), [](int8_t c) { return c == 0; });
}

int MinimaxValue(const Board& b, int to_move) {
  Board copy = b;
  return Solved().Solve(copy, to_move);
}

std::vector<int> OptimalMoves(const Board& b, int to_move) {
  std::vector<int> moves;
  if (Winner(b) != 0 || Full(b)) return moves;
  const int best = MinimaxValue(b, to_move);
  Board copy = b;
  for (int m = 0; m < 9; ++m) {
    if (copy[m] != 0) continue;
    copy[m] = static_cast<int8_t>(to_move);
    if (-MinimaxValue(copy, -to_move) == best) moves.push_back(m);
    copy[m] = 0;
  }
  return moves;
}

namespace {

struct TreeWalk {
  const std::function<int(const Board&)>& agent;
  bool minimax;
  ExactOutcome out;
  std::vector<std::pair<double, std::string>> losses;  // (probability, line)

  void End(double p, int result, const std::string& line) {
    ++out.games;
    if (result > 0) {
      out.win += p;
    } else if (result == 0) {
      out.draw += p;
    } else {
      out.loss += p;
      ++out.losing_games;
      losses.emplace_back(p, line);
    }
  }
  // cell -1: an illegal move ("?")
  static std::string Move(const std::string& line, char side, int cell) {
    std::string next = line;
    if (!next.empty()) next.push_back(' ');
    next.push_back(side);
    next.push_back(cell >= 0 && cell <= 8 ? static_cast<char>('1' + cell) : '?');
    return next;
  }
  void AgentMoves(Board& b, double p, const std::string& line) {
    const int cell = agent(b);
    if (cell < 0 || cell > 8 || b[cell] != 0) return End(p, -1, Move(line, 'X', -1));
    b[cell] = 1;
    const std::string next = Move(line, 'X', cell);
    if (Winner(b) == 1) {
      End(p, 1, next);
    } else if (Full(b)) {
      End(p, 0, next);
    } else {
      OpponentMoves(b, p, next);
    }
    b[cell] = 0;
  }
  void OpponentMoves(Board& b, double p, const std::string& line) {
    std::vector<int> moves;
    if (minimax) {
      moves = OptimalMoves(b, -1);
    } else {
      for (int m = 0; m < 9; ++m) {
        if (b[m] == 0) moves.push_back(m);
      }
    }
    const double q = p / static_cast<double>(moves.size());
    for (int m : moves) {
      b[m] = -1;
      const std::string next = Move(line, 'O', m);
      if (Winner(b) == -1) {
        End(q, -1, next);
      } else if (Full(b)) {
        End(q, 0, next);
      } else {
        AgentMoves(b, q, next);
      }
      b[m] = 0;
    }
  }
};

}  // namespace

ExactOutcome ExactOutcomeAgainst(const std::function<int(const Board&)>& agent,
                                 bool minimax_opponent, double first_move_prob) {
  TreeWalk walk{agent, minimax_opponent, {}, {}};
  Board b{};
  if (first_move_prob > 0.0) walk.AgentMoves(b, first_move_prob, "");
  if (first_move_prob < 1.0) walk.OpponentMoves(b, 1.0 - first_move_prob, "");
  std::stable_sort(walk.losses.begin(), walk.losses.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  for (size_t i = 0; i < walk.losses.size() && i < ExactOutcome::kMaxLosingLines; ++i) {
    walk.out.losing_lines.push_back(walk.losses[i].second);
  }
  return walk.out;
}

}  // namespace tictactoe

namespace {

EnvSpec TicTacToeSpec() {
  EnvSpec s;
  s.id = "TicTacToe-v0";
  std::vector<double> low(TicTacToe::kObsDim, -1.0), high(TicTacToe::kObsDim, 1.0);
  std::fill(low.begin() + 9, low.end(), 0.0);
  s.observation_space = Space::Box(low, high);
  s.action_space = Space::Discrete(9);
  // the agent moves at most 5 times: a bound that never cuts a game.
  s.max_episode_steps = 9;
  s.reward_min = -1.0;
  s.reward_max = 1.0;
  s.action_mask_offset = 9;
  s.training_only_options = {"opponent_epsilon", "random_opening_prob"};
  return s;
}

}  // namespace

StatusOr<std::unique_ptr<Env>> TicTacToe::Create(EnvOptions& options) {
  Options o;
  FLEET_ASSIGN_OR_RETURN(const std::string opponent,
                         options.GetChoice("opponent", "random", {"random", "minimax"}));
  o.opponent = opponent == "minimax" ? OpponentKind::kMinimax : OpponentKind::kRandom;
  FLEET_ASSIGN_OR_RETURN(o.first_move_prob, options.GetDouble("first_move_prob", o.first_move_prob));
  if (o.first_move_prob < 0.0 || o.first_move_prob > 1.0) {
    return InvalidArgumentError("TicTacToe-v0: option 'first_move_prob' must be in [0, 1], not " +
                                std::to_string(o.first_move_prob));
  }
  FLEET_ASSIGN_OR_RETURN(o.opponent_epsilon, options.GetDouble("opponent_epsilon", o.opponent_epsilon));
  if (o.opponent_epsilon < 0.0 || o.opponent_epsilon > 1.0) {
    return InvalidArgumentError("TicTacToe-v0: option 'opponent_epsilon' must be in [0, 1], not " +
                                std::to_string(o.opponent_epsilon));
  }
  FLEET_ASSIGN_OR_RETURN(o.random_opening_prob,
                         options.GetDouble("random_opening_prob", o.random_opening_prob));
  if (o.random_opening_prob < 0.0 || o.random_opening_prob > 1.0) {
    return InvalidArgumentError("TicTacToe-v0: option 'random_opening_prob' must be in [0, 1], not " +
                                std::to_string(o.random_opening_prob));
  }
  return std::unique_ptr<Env>(new TicTacToe(o));
}

TicTacToe::TicTacToe(Options options) : Env(TicTacToeSpec()), options_(options), rng_(0) {}

void TicTacToe::WriteObs(const tictactoe::Board& b, float* obs) {
  for (int i = 0; i < 9; ++i) {
    obs[i] = static_cast<float>(b[i]);
    obs[9 + i] = b[i] == 0 ? 1.0f : 0.0f;
  }
}

int TicTacToe::RandomEmptyCell() {
  std::vector<int> empty;
  for (int m = 0; m < 9; ++m) {
    if (board_[m] == 0) empty.push_back(m);
  }
  std::uniform_int_distribution<size_t> pick(0, empty.size() - 1);
  return empty[pick(rng_)];
}

void TicTacToe::OpponentMove(bool random_move) {
  int cell = -1;
  if (plugged_) {
    tictactoe::Board flipped;
    for (int i = 0; i < 9; ++i) flipped[i] = static_cast<int8_t>(-board_[i]);
    float obs[kObsDim];
    WriteObs(flipped, obs);
    cell = plugged_(std::span<const float>(obs, kObsDim), opponent_new_game_);
    if (cell != -1 && (cell < 0 || cell > 8 || board_[cell] != 0)) {
      ++opponent_illegal_moves_;
      cell = -1;
    }
  }
  // the plugged-in opponent is asked even when a random move overrides it: it keeps
  // count of its games.
  if (random_move) {
    cell = RandomEmptyCell();
  } else if (options_.opponent_epsilon > 0.0) {
    std::bernoulli_distribution explore(options_.opponent_epsilon);
    if (explore(rng_)) cell = RandomEmptyCell();
  }
  if (cell < 0) {
    std::vector<int> moves;
    if (options_.opponent == OpponentKind::kMinimax) {
      moves = tictactoe::OptimalMoves(board_, -1);
    } else {
      for (int m = 0; m < 9; ++m) {
        if (board_[m] == 0) moves.push_back(m);
      }
    }
    std::uniform_int_distribution<size_t> pick(0, moves.size() - 1);
    cell = moves[pick(rng_)];
  }
  board_[cell] = -1;
  opponent_new_game_ = false;
}

void TicTacToe::DoReset(std::optional<uint64_t> seed, float* obs) {
  if (seed) rng_.seed(*seed);
  board_.fill(0);
  opponent_new_game_ = true;
  std::bernoulli_distribution first(options_.first_move_prob);
  agent_first_ = first(rng_);
  // a random opening: the game's first mark, whoever makes it, on a uniformly random
  // cell; when it is the agent's, the opponent answers it before the first observation.
  // Drawn only when the option is on, so that games without it replay as before.
  bool random_opening = false;
  if (options_.random_opening_prob > 0.0) {
    std::bernoulli_distribution opening(options_.random_opening_prob);
    random_opening = opening(rng_);
  }
  if (agent_first_ && random_opening) {
    board_[RandomEmptyCell()] = 1;
    OpponentMove();
  } else if (!agent_first_) {
    OpponentMove(random_opening);
  }
  WriteObs(board_, obs);
}

StepResult TicTacToe::DoStep(const float* action, float* obs) {
  StepResult r;
  const int cell = static_cast<int>(action[0]);
  if (board_[cell] != 0) {  // an illegal move loses (PettingZoo's rule)
    ++illegal_moves_;
    r.reward = -1.0;
    r.terminated = true;
  } else {
    board_[cell] = 1;
    if (tictactoe::Winner(board_) == 1) {
      r.reward = 1.0;
      r.terminated = true;
    } else if (tictactoe::Full(board_)) {
      r.terminated = true;
    } else {
      OpponentMove();
      if (tictactoe::Winner(board_) == -1) {
        r.reward = -1.0;
        r.terminated = true;
      } else if (tictactoe::Full(board_)) {
        r.terminated = true;
      }
    }
  }
  WriteObs(board_, obs);
  return r;
}

void RegisterBoardEnvs() {
  RegisterEnv("TicTacToe-v0", TicTacToe::Create);
  // the perfect player as the env's scripted controller: the first optimal move.
  RegisterScriptedController("TicTacToe-v0", [](const float* obs, float* action) {
    tictactoe::Board b;
    for (int i = 0; i < 9; ++i) b[i] = static_cast<int8_t>(obs[i]);
    const std::vector<int> moves = tictactoe::OptimalMoves(b, 1);
    action[0] = moves.empty() ? 0.0f : static_cast<float>(moves[0]);
  });
}

}  // namespace fleet::envs
