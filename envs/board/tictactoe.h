// TicTacToe-v0: Tic-Tac-Toe against an opponent inside the env, for learning agents and for
// self-play (the opponent can be a policy the actor plugs in). Fleet's own env: Gymnasium
// has no Tic-Tac-Toe; the conventions follow PettingZoo's tictactoe_v3 where it has them
// (an illegal move ends the game as a loss).
//
// Observation (18,): cells 0-8 (row-major, cell = 3 row + col) from the agent's side, +1
// its marks, -1 the opponent's, 0 empty (bounds [-1, 1]); entries 9-17 the action mask, 1
// where the cell is empty (a legal move; bounds [0, 1]). Action Discrete(9): the cell.
// Reward +1 when the agent completes a line, -1 when the opponent does or when the agent
// marks an occupied cell (counted in illegal_moves()), 0 otherwise; the game's end
// terminates the episode. Who moves first is drawn at reset (agent with probability
// first_move_prob, 0.5 by default); when the opponent moves first, its mark is on the
// board in the first observation. Options: opponent "random" (uniform over empty cells) or
// "minimax" (uniform over the game-theoretically optimal moves); first_move_prob;
// opponent_epsilon and random_opening_prob (training-only: `fleet eval` does not inherit
// them from a run).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "envs/env.h"
#include "envs/registry.h"

namespace fleet::envs {

namespace tictactoe {

// +1 and -1 marks, 0 empty; cell = 3 row + col.
using Board = std::array<int8_t, 9>;

// +1 or -1 if that side has a line, else 0.
int Winner(const Board& b);
bool Full(const Board& b);
// The value of `b` for `to_move` (+1 or -1) under perfect play by both sides: +1 a win,
// 0 a draw, -1 a loss. `b` must be a position reachable in a game (at most one winner).
int MinimaxValue(const Board& b, int to_move);
// Every move that attains MinimaxValue for `to_move`, ascending; empty when the game is over.
std::vector<int> OptimalMoves(const Board& b, int to_move);

// The exact result of a deterministic agent against one of the env's built-in opponents,
// by walking every game the opponent can make (the agent's move in each position fixed):
// the probabilities of a win, draw and loss when the agent moves first with probability
// `first_move_prob` and the opponent picks uniformly among the empty cells (random) or
// among its optimal moves (minimax), as TicTacToe-v0's opponents do. Where sampled games
// only suggest "never loses", this proves it or names the games it loses.
struct ExactOutcome {
  double win = 0, draw = 0, loss = 0;
  int64_t games = 0;         // distinct games (move sequences) with nonzero probability
  int64_t losing_games = 0;  // of those, the ones the agent loses
  // up to kMaxLosingLines of them, most probable first: moves in order, "X" the agent,
  // "O" the opponent, cells 1-9 (row-major), e.g. "O2 X9 O3 X1 O5 X8 O7"
  std::vector<std::string> losing_lines;
  static constexpr int kMaxLosingLines = 5;
};
// `agent`: the board from the agent's side (+1 its marks) -> the cell it marks; an
// occupied or out-of-range cell loses the game, as in the env.
ExactOutcome ExactOutcomeAgainst(const std::function<int(const Board&)>& agent,
                                 bool minimax_opponent, double first_move_prob);

}  // namespace tictactoe

class TicTacToe : public Env, public OpponentSeat {
 public:
  enum class OpponentKind { kRandom, kMinimax };
  struct Options {
    OpponentKind opponent = OpponentKind::kRandom;
    double first_move_prob = 0.5;
    // each opponent move (built-in or plugged in) is replaced, with this probability, by
    // a uniformly random legal one: exploration for self-play, whose past selves never
    // open on an edge nor stray from their plans (0 for evaluation).
    double opponent_epsilon = 0.0;
    // with this probability a game opens on a uniformly random cell, whoever moves first
    // (when the agent does, the env marks the cell for it and the opponent answers before
    // the first observation): self-play's exploration of openings that neither side's
    // policy plays, for both seats, so that past selves learn to punish bad answers to
    // them (0 for evaluation). Drawn per game.
    double random_opening_prob = 0.0;
  };
  // A plugged-in opponent (OpponentSeat): the observation from the opponent's side (the
  // same layout: its own marks +1) -> the cell it marks, or -1 to let the built-in
  // opponent move. An occupied or out-of-range cell is refused (the built-in opponent moves
  // instead, counted in opponent_illegal_moves()).

  static StatusOr<std::unique_ptr<Env>> Create(EnvOptions& options);
  explicit TicTacToe(Options options);

  // Replaces the built-in opponent (nullptr: back to the built-in one). Takes effect at
  // the opponent's next move.
  void SetOpponent(Opponent opponent) override { plugged_ = std::move(opponent); }

  // +1 the agent's marks, -1 the opponent's.
  const tictactoe::Board& board() const { return board_; }
  bool agent_moved_first() const { return agent_first_; }
  int64_t illegal_moves() const { return illegal_moves_; }
  int64_t opponent_illegal_moves() const { return opponent_illegal_moves_; }

  // The agent-side observation of a board (18 floats): used by the env and by opponents.
  static void WriteObs(const tictactoe::Board& b, float* obs);

  static constexpr int kObsDim = 18;

 protected:
  void DoReset(std::optional<uint64_t> seed, float* obs) override;
  StepResult DoStep(const float* action, float* obs) override;

 private:
  // the opponent's move: the plugged-in opponent's, else the built-in one's; a uniformly
  // random cell when `random_move` (or with probability opponent_epsilon).
  void OpponentMove(bool random_move = false);
  int RandomEmptyCell();

  Options options_;
  tictactoe::Board board_{};
  bool agent_first_ = true;
  bool opponent_new_game_ = true;
  Opponent plugged_;
  int64_t illegal_moves_ = 0, opponent_illegal_moves_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace fleet::envs
