#include "envs/gymnasium_spec.h"

#include <cstdlib>
#include <cerrno>
#include <cmath>
#include <string>


namespace fleet::envs {
namespace {

struct Registration {
  const char* id;
  const char* entry_point;
  // the registration's own kwargs (LunarLanderContinuous: continuous=True).
  const char* kwarg;  // nullptr: none
  const char* vector_entry_point;  // nullptr: none
};

// Gymnasium 1.x's registrations (gymnasium/envs/__init__.py) of the ids Fleet implements.
// Episode limits and reward thresholds come from Fleet's own EnvSpec, which carries
// Gymnasium's values (tests/python/test_minari_export.py compares the whole spec with
// gymnasium.spec(id)).
constexpr Registration kRegistrations[] = {
    {"CartPole-v1", "gymnasium.envs.classic_control.cartpole:CartPoleEnv", nullptr,
     "gymnasium.envs.classic_control.cartpole:CartPoleVectorEnv"},
    {"MountainCar-v0", "gymnasium.envs.classic_control.mountain_car:MountainCarEnv", nullptr, nullptr},
    {"MountainCarContinuous-v0",
     "gymnasium.envs.classic_control.continuous_mountain_car:Continuous_MountainCarEnv", nullptr,
     nullptr},
    {"Pendulum-v1", "gymnasium.envs.classic_control.pendulum:PendulumEnv", nullptr, nullptr},
    {"Acrobot-v1", "gymnasium.envs.classic_control.acrobot:AcrobotEnv", nullptr, nullptr},
    {"LunarLander-v3", "gymnasium.envs.box2d.lunar_lander:LunarLander", nullptr, nullptr},
    {"LunarLanderContinuous-v3", "gymnasium.envs.box2d.lunar_lander:LunarLander", "continuous",
     nullptr},
    {"BipedalWalker-v3", "gymnasium.envs.box2d.bipedal_walker:BipedalWalker", nullptr, nullptr},
    {"BipedalWalkerHardcore-v3", "gymnasium.envs.box2d.bipedal_walker:BipedalWalker", "hardcore",
     nullptr},
    {"Ant-v5", "gymnasium.envs.mujoco.ant_v5:AntEnv", nullptr, nullptr},
    {"HalfCheetah-v5", "gymnasium.envs.mujoco.half_cheetah_v5:HalfCheetahEnv", nullptr, nullptr},
    {"Hopper-v5", "gymnasium.envs.mujoco.hopper_v5:HopperEnv", nullptr, nullptr},
    {"Humanoid-v5", "gymnasium.envs.mujoco.humanoid_v5:HumanoidEnv", nullptr, nullptr},
    {"InvertedPendulum-v5", "gymnasium.envs.mujoco.inverted_pendulum_v5:InvertedPendulumEnv",
     nullptr, nullptr},
    {"Swimmer-v5", "gymnasium.envs.mujoco.swimmer_v5:SwimmerEnv", nullptr, nullptr},
    {"Walker2d-v5", "gymnasium.envs.mujoco.walker2d_v5:Walker2dEnv", nullptr, nullptr},
    {"InvertedDoublePendulum-v5",
     "gymnasium.envs.mujoco.inverted_double_pendulum_v5:InvertedDoublePendulumEnv", nullptr,
     nullptr},
    {"Reacher-v5", "gymnasium.envs.mujoco.reacher_v5:ReacherEnv", nullptr, nullptr},
    {"Pusher-v5", "gymnasium.envs.mujoco.pusher_v5:PusherEnv", nullptr, nullptr},
    {"HumanoidStandup-v5", "gymnasium.envs.mujoco.humanoidstandup_v5:HumanoidStandupEnv",
     nullptr, nullptr},
};

// an env option's text as the keyword argument's Python value: a boolean, an integer, a
// finite decimal number, or else the string itself.
Json KwargValue(const std::string& v) {
  if (v == "true" || v == "false") return v == "true";
  if (v.empty() || v.find_first_of("xX") != std::string::npos) return v;
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(v.c_str(), &end, 10);
  if (end == v.c_str() + v.size() && errno == 0) return i;
  const double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() + v.size() && std::isfinite(d)) return d;
  return v;
}

}  // namespace

StatusOr<Json> GymnasiumEnvSpec(const EnvSpec& spec,
                                const std::map<std::string, std::string>& options) {
  for (const Registration& r : kRegistrations) {
    if (spec.id != r.id) continue;
    Json kwargs = Json::object();
    if (r.kwarg) kwargs[r.kwarg] = true;
    for (const auto& [key, value] : options) kwargs[key] = KwargValue(value);
    Json j;
    j["id"] = r.id;
    j["entry_point"] = r.entry_point;
    j["reward_threshold"] = spec.reward_threshold ? Json(*spec.reward_threshold) : Json(nullptr);
    j["nondeterministic"] = false;
    j["max_episode_steps"] = spec.max_episode_steps > 0 ? Json(spec.max_episode_steps) : Json(nullptr);
    j["order_enforce"] = true;
    j["disable_env_checker"] = false;
    j["kwargs"] = kwargs;
    j["additional_wrappers"] = Json::array();
    j["vector_entry_point"] = r.vector_entry_point ? Json(r.vector_entry_point) : Json(nullptr);
    return j;
  }
  return NotFoundError("'" + spec.id + "' has no Gymnasium registration to name");
}

}  // namespace fleet::envs
