#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/lunar_lander.h"
#include "envs/registry.h"

namespace fleet::envs {

void RegisterBox2dEnvs() {
  RegisterEnv("LunarLander-v3",
              [](EnvOptions& o) { return LunarLander::Create(o, /*continuous_default=*/false); });
  RegisterEnv("LunarLanderContinuous-v3",
              [](EnvOptions& o) { return LunarLander::Create(o, /*continuous_default=*/true); });
  // Gymnasium's heuristic lander (lunar_lander.py's `heuristic`).
  RegisterScriptedController("LunarLander-v3", [](const float* obs, float* action) {
    LunarLander::Heuristic(obs, /*continuous=*/false, action);
  });
  RegisterScriptedController("LunarLanderContinuous-v3", [](const float* obs, float* action) {
    LunarLander::Heuristic(obs, /*continuous=*/true, action);
  });
  RegisterEnv("BipedalWalker-v3",
              [](EnvOptions& o) { return BipedalWalker::Create(o, /*hardcore_default=*/false); });
  RegisterEnv("BipedalWalkerHardcore-v3",
              [](EnvOptions& o) { return BipedalWalker::Create(o, /*hardcore_default=*/true); });
}

}  // namespace fleet::envs
