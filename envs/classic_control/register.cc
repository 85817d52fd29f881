#include "envs/classic_control/cartpole.h"
#include "envs/registry.h"

namespace fleet::envs {

void RegisterClassicControlEnvs() { RegisterEnv("CartPole-v1", CartPole::Create); }

}  // namespace fleet::envs
