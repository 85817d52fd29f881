// libFuzzer target: bytes as the store receives them from an actor's socket. Parsing and
// validation must never crash, and a chunk they accept must be safe for the writer:
// every array as long as the declared shape says (checked again here).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "proto/fleet.pb.h"
#include "replay/chunk_validator.h"

using fleet::replay::ChunkExpectations;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fleet::proto::TrajectoryChunk c;
  if (!c.ParseFromArray(data, static_cast<int>(size))) return 0;
  ChunkExpectations discrete{"CartPole-v1", 4, 0, 2};
  discrete.max_episode_steps = 500;
  ChunkExpectations continuous{"Pendulum-v1", 3, 1, 0};
  continuous.max_episode_steps = 200;
  continuous.require_logprobs = true;
  for (const ChunkExpectations* e : {&discrete, &continuous}) {
    if (!fleet::replay::ValidateChunk(c, *e).ok()) continue;
    const int64_t steps = int64_t{c.num_steps()} * c.num_envs();
    const bool shaped = c.rewards_size() == steps && c.observations_size() == steps * e->obs_dim &&
                        static_cast<int64_t>(c.terminated().size()) == steps &&
                        c.episode_returns_size() == c.final_indices_size();
    if (!shaped) std::abort();  // accepted, yet not the shape it declares
  }
  return 0;
}
