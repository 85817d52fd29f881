// Whole episodes out of trajectory chunks, for the algorithms that learn from complete
// episodes (REINFORCE's Monte-Carlo returns, the group-relative policy gradient's episode
// returns): the assembler, discounted returns and group-relative advantages. Plain C++
// (no libtorch), so the maths is tested against hand-computed values on its own.
//
// Chunks cut episodes; the assembler keeps each (actor, env) stream's open episode
// across chunks and updates and hands out an episode once it ends. A stream's first
// chunk must be its actor's chunk 0 (the actor resets its envs there) and later chunks
// must follow without a gap; an episode whose beginning was not seen (a learner that
// resumed mid-run, chunks the store dropped for policy lag, an actor restarted in a new
// epoch) is dropped when it ends and counted, never trained on. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::learner {

// One complete episode as its actor played it (possibly across chunks and weight versions).
struct Episode {
  uint32_t actor_id = 0;
  uint64_t actor_epoch = 0;
  uint32_t env = 0;  // index in the actor's vector
  // grouped seeding (env.group_size > 1): the seed it was reset with.
  std::optional<uint64_t> seed;
  bool terminated = false;  // else truncated (time limit)
  std::vector<float> observations;        // (L x obs_dim)
  std::vector<int32_t> discrete_actions;  // (L), discrete spaces
  std::vector<float> continuous_actions;  // (L x action_dim)
  std::vector<float> rewards;             // (L)
  std::vector<float> logprobs;            // (L), behaviour policy
  int length() const { return static_cast<int>(rewards.size()); }
  double Return() const;
};

class EpisodeAssembler {
 public:
  // action_dim 0: discrete actions.
  EpisodeAssembler(int obs_dim, int action_dim);

  // Adds a chunk's steps to its streams' open episodes and returns the episodes that
  // ended in it, in (step, env) order. InvalidArgument (and nothing kept) for a chunk of
  // the wrong shapes or without the behaviour policy's log-probs.
  StatusOr<std::vector<Episode>> Add(const proto::TrajectoryChunk& c);

  // steps held in open episodes.
  int64_t open_steps() const;
  // episodes (and their steps) dropped because their beginning was not seen.
  int64_t dropped_episodes() const { return dropped_episodes_; }
  int64_t dropped_steps() const { return dropped_steps_; }

 private:
  struct Stream {
    uint64_t epoch = 0;
    uint64_t next_sequence = 0;
    std::vector<Episode> open;   // per env
    std::vector<uint8_t> whole;  // per env: its open episode was seen from its first step
  };

  int obs_dim_, action_dim_;
  std::map<uint32_t, Stream> streams_;  // by actor id
  int64_t dropped_episodes_ = 0, dropped_steps_ = 0;
};

// G_t = r_t + gamma G_{t+1}, G_L = 0: the discounted return from each step to the
// episode's end (no bootstrap: a truncated episode's return stops at its last reward).
std::vector<float> DiscountedReturns(std::span<const float> rewards, double gamma);

// Mean and sample standard deviation (n - 1) of `x`; std 0 for fewer than two values.
struct SampleMoments {
  double mean = 0.0;
  double std = 0.0;
};
SampleMoments Moments(std::span<const double> x);

// A group's advantages: (R_i - mean(R)) / (std(R) + eps), std the sample standard
// deviation (n - 1; as TRL's GRPO trainer computes it). A group of one, or of equal
// returns, gets zeros.
std::vector<float> GroupAdvantages(std::span<const double> returns, double eps);

// Process supervision (DeepSeekMath section 4.1.3): every step reward of the group's
// episodes is standardized with the mean and sample standard deviation of all of them,
// r~ = (r - mean) / (std + eps), and a step's advantage is the sum of the standardized
// rewards from it to its episode's end. Returns one vector per episode. Zeros where the
// group has fewer than two steps or all its rewards are equal.
std::vector<std::vector<float>> ProcessAdvantages(const std::vector<std::span<const float>>& rewards,
                                                  double eps);

// Episodes gathered into groups by (actor, epoch, env / group_size, seed): the episodes
// of a group started from the same seed. A group is handed out once it holds group_size
// episodes; one still incomplete after `max_wait` calls of Take is dropped (counted).
class EpisodeGrouper {
 public:
  EpisodeGrouper(int group_size, int max_wait);

  // Files episodes (each must carry its seed: InvalidArgument otherwise, nothing kept).
  Status Add(std::vector<Episode> episodes);
  // The complete groups, oldest first; ages the incomplete ones.
  std::vector<std::vector<Episode>> Take();

  int64_t waiting_episodes() const;
  int64_t dropped_groups() const { return dropped_groups_; }

 private:
  using Key = std::tuple<uint32_t, uint64_t, uint32_t, uint64_t>;
  struct Pending {
    std::vector<Episode> episodes;
    int64_t order = 0;  // when it was opened
    int waited = 0;
  };
  int group_size_, max_wait_;
  int64_t next_order_ = 0;
  std::map<Key, Pending> pending_;
  int64_t dropped_groups_ = 0;
};

}  // namespace fleet::learner
