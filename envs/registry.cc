#include "envs/registry.h"

#include <cmath>

#include <cstdlib>
#include <mutex>

namespace fleet::envs {
namespace {

std::recursive_mutex& RegistryMutex() {
  static std::recursive_mutex mu;
  return mu;
}
std::map<std::string, EnvFactory>& Storage() {
  static std::map<std::string, EnvFactory> storage;
  return storage;
}
std::map<std::string, ScriptedController>& Controllers() {
  static std::map<std::string, ScriptedController> controllers;
  return controllers;
}
// the registry with the built-in families added on first use.
std::map<std::string, EnvFactory>& Registry() {
  static std::once_flag builtins;
  std::call_once(builtins, [] {
    RegisterClassicControlEnvs();
    RegisterBox2dEnvs();
    RegisterBoardEnvs();
    RegisterMujocoEnvs();
    RegisterCompositeEnvs();  // last: composites are made of the others
  });
  return Storage();
}

Status BadOption(const std::string& env, const std::string& key, const std::string& value,
                 const char* expected) {
  return InvalidArgumentError(env + ": option '" + key + "' = '" + value + "' is not " + expected);
}

}  // namespace

StatusOr<double> EnvOptions::GetDouble(const std::string& key, double default_value) {
  known_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return default_value;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != '\0') return BadOption(env_id_, key, it->second, "a number");
  if (!std::isfinite(v)) return BadOption(env_id_, key, it->second, "a finite number");
  return v;
}

StatusOr<int64_t> EnvOptions::GetInt(const std::string& key, int64_t default_value) {
  known_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return default_value;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end != '\0') {
    return BadOption(env_id_, key, it->second, "an integer");
  }
  return static_cast<int64_t>(v);
}

std::string EnvOptions::GetString(const std::string& key, const std::string& default_value) {
  known_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? default_value : it->second;
}

StatusOr<bool> EnvOptions::GetBool(const std::string& key, bool default_value) {
  known_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return default_value;
  const std::string& s = it->second;
  if (s == "true" || s == "True" || s == "1") return true;
  if (s == "false" || s == "False" || s == "0") return false;
  return BadOption(env_id_, key, s, "a boolean");
}

StatusOr<std::string> EnvOptions::GetChoice(const std::string& key,
                                            const std::string& default_value,
                                            const std::vector<std::string>& allowed) {
  known_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return default_value;
  for (const auto& a : allowed) {
    if (a == it->second) return a;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "'" : ", '") + a + "'";
  const std::string expected = "one of " + list;
  return BadOption(env_id_, key, it->second, expected.c_str());
}

Status EnvOptions::Finish() const {
  for (const auto& [key, value] : values_) {
    if (known_.count(key)) continue;
    std::string known;
    for (const auto& k : known_) known += (known.empty() ? "" : ", ") + k;
    return InvalidArgumentError(env_id_ + ": unknown option '" + key + "' (known: " +
                                (known.empty() ? "none" : known) + ")");
  }
  return OkStatus();
}

void RegisterEnv(const std::string& id, EnvFactory factory) {
  std::lock_guard<std::recursive_mutex> lock(RegistryMutex());
  Storage()[id] = std::move(factory);
}

std::vector<std::string> RegisteredIds() {
  std::lock_guard<std::recursive_mutex> lock(RegistryMutex());
  std::vector<std::string> ids;
  for (const auto& [id, f] : Registry()) ids.push_back(id);
  return ids;
}

StatusOr<std::unique_ptr<Env>> MakeEnv(const std::string& id,
                                       const std::map<std::string, std::string>& options) {
  EnvFactory factory;
  {
    std::lock_guard<std::recursive_mutex> lock(RegistryMutex());
    auto it = Registry().find(id);
    if (it != Registry().end()) factory = it->second;
  }
  if (!factory) {
    std::string known;
    for (const auto& k : RegisteredIds()) known += (known.empty() ? "" : ", ") + k;
    return NotFoundError("unknown env id '" + id + "'; known ids: " + known);
  }
  EnvOptions opts(id, options);
  FLEET_ASSIGN_OR_RETURN(auto env, factory(opts));
  FLEET_RETURN_IF_ERROR(opts.Finish());
  return env;
}

void RegisterScriptedController(const std::string& id, ScriptedController controller) {
  std::lock_guard<std::recursive_mutex> lock(RegistryMutex());
  Controllers()[id] = std::move(controller);
}

StatusOr<ScriptedController> GetScriptedController(const std::string& id) {
  std::lock_guard<std::recursive_mutex> lock(RegistryMutex());
  Registry();  // the families register their controllers with their envs
  auto it = Controllers().find(id);
  if (it != Controllers().end()) return it->second;
  std::string known;
  for (const auto& [k, c] : Controllers()) known += (known.empty() ? "" : ", ") + k;
  return NotFoundError("no scripted controller for " + id + " (there is one for: " + known + ")");
}

StatusOr<EnvSpec> GetSpec(const std::string& id,
                          const std::map<std::string, std::string>& options) {
  FLEET_ASSIGN_OR_RETURN(auto env, MakeEnv(id, options));
  return env->spec();
}

std::vector<std::string> DropTrainingOnlyOptions(const std::string& id,
                                                 std::map<std::string, std::string>& options) {
  std::vector<std::string> dropped;
  if (options.empty()) return dropped;
  auto spec = GetSpec(id, options);
  if (!spec.ok()) return dropped;
  for (const std::string& key : spec->training_only_options) {
    if (auto it = options.find(key); it != options.end()) {
      dropped.push_back(key + "=" + it->second);
      options.erase(it);
    }
  }
  return dropped;
}

}  // namespace fleet::envs
