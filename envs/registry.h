// Envs by Gymnasium id. Each family has a Register*Envs() function that the registry
// calls once on first use (explicit, so static linking cannot drop a family); MakeEnv()
// builds one with Gymnasium-style keyword options (strings from YAML or Python, parsed
// and checked by the env).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "envs/env.h"

namespace fleet::envs {

// Typed access to an env's keyword options. Every Get* marks the key as known;
// Finish() fails naming any option the env did not ask for.
class EnvOptions {
 public:
  EnvOptions(std::string env_id, std::map<std::string, std::string> values)
      : env_id_(std::move(env_id)), values_(std::move(values)) {}

  StatusOr<double> GetDouble(const std::string& key, double default_value);
  StatusOr<bool> GetBool(const std::string& key, bool default_value);
  StatusOr<int64_t> GetInt(const std::string& key, int64_t default_value);
  std::string GetString(const std::string& key, const std::string& default_value);
  // One of `allowed` (InvalidArgument naming them otherwise).
  StatusOr<std::string> GetChoice(const std::string& key, const std::string& default_value,
                                  const std::vector<std::string>& allowed);
  Status Finish() const;

 private:
  std::string env_id_;
  std::map<std::string, std::string> values_;
  std::set<std::string> known_;
};

using EnvFactory = std::function<StatusOr<std::unique_ptr<Env>>(EnvOptions&)>;

// Registers `id` (replacing an earlier factory of the same id). Thread-safe.
void RegisterEnv(const std::string& id, EnvFactory factory);

// Builds env `id`. NotFound (listing the known ids) for an unknown id; InvalidArgument
// for an unknown or malformed option.
StatusOr<std::unique_ptr<Env>> MakeEnv(const std::string& id,
                                       const std::map<std::string, std::string>& options = {});

// The spec of `id` with default options.
StatusOr<EnvSpec> GetSpec(const std::string& id,
                          const std::map<std::string, std::string>& options = {});

// Removes from `options` (a run's env options) those `id` marks training-only
// (EnvSpec::training_only_options) and returns them as "key=value": what evaluation and
// play must not inherit from a run. Options `id` refuses are left for MakeEnv to name.
std::vector<std::string> DropTrainingOnlyOptions(const std::string& id,
                                                 std::map<std::string, std::string>& options);

std::vector<std::string> RegisteredIds();

// An env's scripted controller (the hand-written heuristics Gymnasium ships as demos):
// one observation -> one action (action_width floats; a discrete action as its index).
using ScriptedController = std::function<void(const float* obs, float* action)>;
void RegisterScriptedController(const std::string& id, ScriptedController controller);
// NotFound naming the envs that have one.
StatusOr<ScriptedController> GetScriptedController(const std::string& id);

// family registration functions, one per family folder.
void RegisterBoardEnvs();
void RegisterClassicControlEnvs();
void RegisterBox2dEnvs();
void RegisterMujocoEnvs();
void RegisterCompositeEnvs();

}  // namespace fleet::envs
