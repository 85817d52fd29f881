// `fleet play RUN`: a person plays a trained agent in the terminal. For two-player envs
// whose opponent sits inside the env (envs::OpponentSeat; TicTacToe-v0): the person takes
// the opponent's seat, the run's final policy (checkpoints/final_policy.pb) plays the
// agent's side, greedily unless --stochastic. Reads moves from `in`, writes the board and
// the results to `out` (the terminal; streams in tests).
#pragma once

#include <iosfwd>
#include <string>

#include "common/status.h"

namespace fleet::orchestrator {

struct PlayOptions {
  std::string run;        // a run directory, or a policy.pb with env_id set
  std::string env_id;     // empty: the run's
  int games = 1;
  std::string first = "random";  // who moves first: "agent", "you" or "random"
  bool stochastic = false;       // the agent samples its moves instead of taking the best
  uint64_t seed = 0;             // 0: from the clock
};

struct PlayTally {
  int games = 0, agent_wins = 0, draws = 0, your_wins = 0;
};

// Plays until `games` games are over or the person quits ('q' or end of input).
StatusOr<PlayTally> Play(const PlayOptions& options, std::istream& in, std::ostream& out);

}  // namespace fleet::orchestrator
