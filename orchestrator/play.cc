#include "orchestrator/play.h"

#include <chrono>
#include <filesystem>
#include <istream>
#include <ostream>
#include <random>

#include "actor/policies.h"
#include "common/experiment_config.h"
#include "envs/board/tictactoe.h"
#include "envs/registry.h"
#include "learner/checkpoint.h"

namespace fleet::orchestrator {
namespace {

namespace fs = std::filesystem;

// The board with the agent as X and the person as O; empty cells show their number 1-9.
void Draw(const envs::tictactoe::Board& b, std::ostream& out) {
  for (int r = 0; r < 3; ++r) {
    out << " ";
    for (int c = 0; c < 3; ++c) {
      const int i = 3 * r + c;
      out << (b[i] == 1 ? 'X' : b[i] == -1 ? 'O' : static_cast<char>('1' + i));
      if (c < 2) out << " | ";
    }
    out << "\n";
    if (r < 2) out << "---+---+---\n";
  }
}

struct Quit {};

}  // namespace

StatusOr<PlayTally> Play(const PlayOptions& o, std::istream& in, std::ostream& out) {
  if (o.games < 1) return InvalidArgumentError("--games must be >= 1");
  if (o.first != "agent" && o.first != "you" && o.first != "random") {
    return InvalidArgumentError("--first must be agent, you or random, not '" + o.first + "'");
  }
  std::string env_id = o.env_id, policy_path = o.run;
  std::map<std::string, std::string> env_options;
  if (fs::is_directory(o.run)) {
    policy_path = learner::FinalPolicyPath(o.run);
    auto cfg = LoadExperimentConfig((fs::path(o.run) / "config.yaml").string());
    if (!cfg.ok()) return cfg.status();
    if (env_id.empty()) env_id = cfg->env.id;
    env_options = cfg->env.options;
  }
  if (env_id.empty()) return InvalidArgumentError("--env is needed when RUN is a policy file");
  // a person plays the task itself: no random openings or opponent noise from training
  (void)envs::DropTrainingOnlyOptions(env_id, env_options);
  if (o.first != "random") env_options["first_move_prob"] = o.first == "agent" ? "1" : "0";
  FLEET_ASSIGN_OR_RETURN(std::unique_ptr<envs::Env> env, envs::MakeEnv(env_id, env_options));
  auto* board_env = dynamic_cast<envs::TicTacToe*>(env.get());
  if (board_env == nullptr) {
    return FailedPreconditionError("fleet play: " + env_id +
                                   " is not a game a person can play here (TicTacToe-v0 is)");
  }
  FLEET_ASSIGN_OR_RETURN(std::unique_ptr<actor::Policy> policy,
                         actor::LoadPolicyFile(policy_path, env->spec(), {!o.stochastic, 0.0}));

  // the person takes the opponent's seat: their marks are O, and they see the board
  // from the agent's side (the observation they are handed is flipped: own marks +1).
  board_env->SetOpponent([&](std::span<const float> obs, bool) -> int {
    envs::tictactoe::Board b;
    for (int i = 0; i < 9; ++i) b[i] = static_cast<int8_t>(-obs[i]);
    out << "\n";
    Draw(b, out);
    while (true) {
      out << "your move (1-9, q to quit): " << std::flush;
      std::string line;
      if (!std::getline(in, line) || line == "q" || line == "quit") throw Quit{};
      if (line.size() == 1 && line[0] >= '1' && line[0] <= '9') {
        const int cell = line[0] - '1';
        if (obs[9 + cell] == 1.0f) return cell;
        out << "cell " << line << " is taken\n";
      } else {
        out << "'" << line << "' is not a cell: type a number from 1 to 9\n";
      }
    }
  });

  PlayTally tally;
  const uint64_t seed =
      o.seed != 0 ? o.seed
                  : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::mt19937_64 rng(seed);
  std::vector<float> obs(env->obs_dim());
  try {
    for (int g = 0; g < o.games; ++g) {
      out << "\ngame " << (g + 1) << " of " << o.games << ": the agent is X, you are O\n";
      env->Reset(seed + static_cast<uint64_t>(g), obs);
      out << (board_env->agent_moved_first() ? "the agent moves first\n" : "");
      while (true) {
        float action = 0.0f, logprob = 0.0f, value = 0.0f;
        policy->Act(obs, 1, rng, std::span<float>(&action, 1), std::span<float>(&logprob, 1),
                    std::span<float>(&value, 1));
        out << "the agent marks " << static_cast<int>(action) + 1 << "\n";
        FLEET_ASSIGN_OR_RETURN(envs::StepResult r, env->Step(std::span<const float>(&action, 1), obs));
        if (!r.terminated && !r.truncated) continue;
        out << "\n";
        Draw(board_env->board(), out);
        ++tally.games;
        if (r.reward > 0) {
          ++tally.agent_wins;
          out << "the agent wins\n";
        } else if (r.reward < 0) {
          ++tally.your_wins;
          out << (board_env->illegal_moves() > 0 ? "the agent made an illegal move: you win\n" : "you win\n");
        } else {
          ++tally.draws;
          out << "a draw\n";
        }
        break;
      }
    }
  } catch (const Quit&) {
    out << "\n";
  }
  out << "games " << tally.games << ": the agent won " << tally.agent_wins << ", you won "
      << tally.your_wins << ", draws " << tally.draws << "\n";
  return tally;
}

}  // namespace fleet::orchestrator
