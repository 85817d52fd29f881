#include "envs/box2d/lunar_lander.h"
#include "envs/registry.h"

namespace fleet::envs {

void RegisterBox2dEnvs() {
  RegisterEnv("LunarLander-v3",
              [](EnvOptions& o) { return LunarLander::Create(o, /*continuous_default=*/false); });
  RegisterEnv("LunarLanderContinuous-v3",
              [](EnvOptions& o) { return LunarLander::Create(o, /*continuous_default=*/true); });
}

}  // namespace fleet::envs
