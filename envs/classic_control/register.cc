#include "envs/classic_control/acrobot.h"
#include "envs/classic_control/cartpole.h"
#include "envs/classic_control/mountain_car.h"
#include "envs/classic_control/pendulum.h"
#include "envs/registry.h"

namespace fleet::envs {

void RegisterClassicControlEnvs() {
  RegisterEnv("CartPole-v1", CartPole::Create);
  RegisterEnv("Pendulum-v1", Pendulum::Create);
  RegisterEnv("MountainCar-v0", MountainCar::CreateDiscrete);
  RegisterEnv("MountainCarContinuous-v0", MountainCar::CreateContinuous);
  RegisterEnv("Acrobot-v1", Acrobot::Create);
}

}  // namespace fleet::envs
