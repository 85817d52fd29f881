// Converts the learner's libtorch model to the PolicyWeights message actors evaluate
// with Eigen (actor/mlp_policy.h), and back (for checkpoints that hold only the message).
#pragma once

#include <cstdint>

#include "learner/actor_critic.h"
#include "proto/fleet.pb.h"

namespace fleet::learner {

proto::PolicyWeights ExportWeights(ActorCritic& model, uint64_t version);

}  // namespace fleet::learner
