// Self-play (selfplay: in the config): the frozen past versions of the learner's policy that
// an actor draws its games' opponents from, and the seats that put them into its envs
// (envs::OpponentSeat). Only weights the learner published reach an actor, and only those
// enter the pool: Offer() takes the PolicyWeights messages the actor received, nothing else.
//
// Each env has its own seat: a copy of the drawn opponent and its own generator, so the
// envs of a vector may be stepped on several threads and the games are the same for any
// number of threads. A seat draws a new opponent at the first move the opponent makes in a
// game. Not thread-safe across Offer and stepping:
// the actor offers weights between chunks, never while its envs step.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "actor/mlp_policy.h"
#include "common/experiment_config.h"
#include "common/status.h"
#include "envs/env.h"
#include "envs/vector_env.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

class OpponentPool {
 public:
  OpponentPool(const SelfPlaySection& config, const envs::EnvSpec& spec);

  // A published policy: becomes the latest, and joins the pool when it is the first or at
  // least snapshot_every versions after the last one that joined (the oldest leaves past
  // pool_size); an older version of the same weights epoch is ignored, weights of a new
  // epoch (a restarted learner) start the counting over and keep the pool.
  // InvalidArgument (nothing changes) for weights that do not fit the env.
  Status Offer(const proto::PolicyWeights& weights);

  // The versions held, oldest first, and the latest.
  std::vector<uint64_t> versions() const;
  std::optional<uint64_t> latest_version() const;

  // A game's opponent: the latest with probability latest_prob, else one of the pool's
  // uniformly; nullptr while nothing was offered.
  std::shared_ptr<const MlpPolicy> Draw(std::mt19937_64& rng) const;

  const SelfPlaySection& config() const { return config_; }

 private:
  SelfPlaySection config_;
  envs::EnvSpec spec_;
  std::deque<std::shared_ptr<const MlpPolicy>> frozen_;
  std::shared_ptr<const MlpPolicy> latest_;
  std::optional<uint64_t> last_joined_;
  uint64_t epoch_ = 0;  // PolicyWeights.weights_epoch of latest_
};

// Seats the pool's opponents in every env of `vec`: FailedPrecondition naming the env when
// it has no opponent seat. `seed` seeds the seats' generators (env i: seed + i).
class SelfPlaySeats {
 public:
  static StatusOr<std::unique_ptr<SelfPlaySeats>> Install(envs::VectorEnv& vec,
                                                          const OpponentPool& pool, uint64_t seed);

  // games started per opponent version, over all seats (for the log); the env's built-in
  // opponent's games under kBuiltin.
  std::map<uint64_t, int64_t> GamesByVersion() const;
  static constexpr uint64_t kBuiltin = ~uint64_t{0};
  // games whose pooled opponent played greedily (selfplay.greedy_prob).
  int64_t GreedyGames() const;

 private:
  struct Seat {
    MlpPolicy policy;
    bool has = false;
    bool builtin = false;  // this game's opponent is the env's own
    bool greedy = false;   // this game's opponent takes its most probable moves
    std::mt19937_64 rng;
    std::map<uint64_t, int64_t> games;
    int64_t greedy_games = 0;
    int Move(const OpponentPool& pool, std::span<const float> obs, bool new_game);
  };
  std::vector<std::unique_ptr<Seat>> seats_;
};

}  // namespace fleet::actor
