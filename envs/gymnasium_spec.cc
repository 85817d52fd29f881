#include "envs/gymnasium_spec.h"

#include <cstdlib>
#include <sstream>

#include "common/json.h"

namespace fleet::envs {
namespace {

struct Registration {
  const char* id;
  const char* entry_point;
  const char* kwargs;  // JSON members, without braces
  const char* vector_entry_point;  // nullptr: none
};

// Gymnasium 1.x's registrations (gymnasium/envs/__init__.py) of the ids Fleet implements.
// Episode limits and reward thresholds come from Fleet's own EnvSpec, which carries
// Gymnasium's values (tests/python/test_minari_export.py compares the whole spec with
// gymnasium.spec(id)).
constexpr Registration kRegistrations[] = {
    {"CartPole-v1", "gymnasium.envs.classic_control.cartpole:CartPoleEnv", "",
     "gymnasium.envs.classic_control.cartpole:CartPoleVectorEnv"},
    {"MountainCar-v0", "gymnasium.envs.classic_control.mountain_car:MountainCarEnv", "", nullptr},
    {"MountainCarContinuous-v0",
     "gymnasium.envs.classic_control.continuous_mountain_car:Continuous_MountainCarEnv", "", nullptr},
    {"Pendulum-v1", "gymnasium.envs.classic_control.pendulum:PendulumEnv", "", nullptr},
    {"Acrobot-v1", "gymnasium.envs.classic_control.acrobot:AcrobotEnv", "", nullptr},
    {"LunarLander-v3", "gymnasium.envs.box2d.lunar_lander:LunarLander", "", nullptr},
    {"LunarLanderContinuous-v3", "gymnasium.envs.box2d.lunar_lander:LunarLander",
     "\"continuous\": true", nullptr},
    {"BipedalWalker-v3", "gymnasium.envs.box2d.bipedal_walker:BipedalWalker", "", nullptr},
    {"BipedalWalkerHardcore-v3", "gymnasium.envs.box2d.bipedal_walker:BipedalWalker",
     "\"hardcore\": true", nullptr},
    {"Ant-v5", "gymnasium.envs.mujoco.ant_v5:AntEnv", "", nullptr},
    {"HalfCheetah-v5", "gymnasium.envs.mujoco.half_cheetah_v5:HalfCheetahEnv", "", nullptr},
    {"Hopper-v5", "gymnasium.envs.mujoco.hopper_v5:HopperEnv", "", nullptr},
    {"Humanoid-v5", "gymnasium.envs.mujoco.humanoid_v5:HumanoidEnv", "", nullptr},
    {"InvertedPendulum-v5", "gymnasium.envs.mujoco.inverted_pendulum_v5:InvertedPendulumEnv", "",
     nullptr},
    {"Swimmer-v5", "gymnasium.envs.mujoco.swimmer_v5:SwimmerEnv", "", nullptr},
    {"Walker2d-v5", "gymnasium.envs.mujoco.walker2d_v5:Walker2dEnv", "", nullptr},
};

std::string JsonValue(const std::string& v) {
  if (v == "true" || v == "false") return v;
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  if (!v.empty() && end == v.c_str() + v.size() && v != "nan" && v != "inf" && v != "-inf") {
    return v;
  }
  return "\"" + JsonEscape(v) + "\"";
}

}  // namespace

StatusOr<std::string> GymnasiumEnvSpecJson(const EnvSpec& spec,
                                           const std::map<std::string, std::string>& options) {
  for (const Registration& r : kRegistrations) {
    if (spec.id != r.id) continue;
    std::string kwargs = r.kwargs;
    for (const auto& [key, value] : options) {
      if (!kwargs.empty()) kwargs += ", ";
      kwargs += "\"" + JsonEscape(key) + "\": " + JsonValue(value);
    }
    std::ostringstream out;
    out << "{\"id\": \"" << r.id << "\", \"entry_point\": \"" << r.entry_point << "\", "
        << "\"reward_threshold\": "
        << (spec.reward_threshold ? JsonDouble(*spec.reward_threshold) : "null") << ", "
        << "\"nondeterministic\": false, \"max_episode_steps\": ";
    if (spec.max_episode_steps > 0) {
      out << spec.max_episode_steps;
    } else {
      out << "null";
    }
    out << ", \"order_enforce\": true, \"disable_env_checker\": false, \"kwargs\": {" << kwargs
        << "}, \"additional_wrappers\": [], \"vector_entry_point\": "
        << (r.vector_entry_point ? "\"" + std::string(r.vector_entry_point) + "\"" : "null") << "}";
    return out.str();
  }
  return NotFoundError("'" + spec.id + "' has no Gymnasium registration to name");
}

}  // namespace fleet::envs
