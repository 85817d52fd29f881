// Cuts trajectory chunks: steps a VectorEnv steps_per_chunk times with a Policy and
// fills a TrajectoryChunk (time-major; the actor's id, epoch and env seed base; one policy
// version for the whole chunk; the policy's log-probs and values where it has them; the
// final observations and returns of the episodes that ended inside it). Continuous
// actions go into the chunk as the policy chose them (a Gaussian sample's log-prob is of
// that value) and to the env clipped to its bounds, as CleanRL's ClipAction wrapper does.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "actor/policy.h"
#include "envs/vector_env.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

class ChunkBuilder {
 public:
  ChunkBuilder(envs::VectorEnv& envs, uint32_t actor_id, uint64_t actor_epoch, int steps_per_chunk);

  // Resets env i with seed_base + i; chunks carry seed_base. With group_size > 1, grouped
  // seeding (VectorEnv::ResetGrouped): chunks carry each ended episode's seed.
  void Reset(uint64_t seed_base, int group_size = 1);
  // The next chunk, numbered `sequence`.
  void Build(Policy& policy, std::mt19937_64& rng, uint64_t sequence, proto::TrajectoryChunk& c);

 private:
  envs::VectorEnv& envs_;
  uint32_t actor_id_;
  uint64_t actor_epoch_;
  int steps_;
  uint64_t seed_base_ = 0;
  std::vector<float> obs_, actions_, env_actions_;
  std::vector<uint8_t> ended_;
  envs::VectorStepOutput step_out_;
};

}  // namespace fleet::actor
