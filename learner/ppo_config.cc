#include "learner/mlp_config.h"
#include "learner/ppo_config.h"

#include <cmath>

namespace fleet::learner {
namespace {

Status Require(bool ok, const std::string& key, const std::string& what) {
  if (ok) return OkStatus();
  return InvalidArgumentError("config key '" + key + "' " + what);
}

}  // namespace

Status MlpConfig::Validate(const std::string& path) const {
  FLEET_RETURN_IF_ERROR(Require(!hidden.empty(), path + ".hidden", "must list at least one layer"));
  for (int h : hidden) FLEET_RETURN_IF_ERROR(Require(h >= 1, path + ".hidden", "sizes must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(init == "orthogonal" || init == "torch_default", path + ".init",
                                "must be 'orthogonal' or 'torch_default'"));
  FLEET_RETURN_IF_ERROR(Require(activation == "tanh" || activation == "relu",
                                path + ".activation", "must be 'tanh' or 'relu'"));
  FLEET_RETURN_IF_ERROR(Require(std::isfinite(log_std_init), path + ".log_std_init", "must be finite"));
  return OkStatus();
}

Status PpoConfig::Validate(const ExperimentConfig& config) const {
  const std::string p = "learner.ppo.";
  FLEET_RETURN_IF_ERROR(Require(learning_rate > 0, p + "learning_rate", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(gamma > 0 && gamma <= 1, p + "gamma", "must be in (0, 1]"));
  FLEET_RETURN_IF_ERROR(Require(gae_lambda >= 0 && gae_lambda <= 1, p + "gae_lambda",
                                "must be in [0, 1]"));
  FLEET_RETURN_IF_ERROR(Require(num_minibatches >= 1, p + "num_minibatches", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(update_epochs >= 1, p + "update_epochs", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(clip_coef > 0, p + "clip_coef", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(ent_coef >= 0, p + "ent_coef", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(vf_coef >= 0, p + "vf_coef", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(max_grad_norm > 0, p + "max_grad_norm", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(target_kl >= 0, p + "target_kl", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(clip_obs > 0, p + "clip_obs", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(clip_reward > 0, p + "clip_reward", "must be > 0"));
  const int64_t batch =
      int64_t{config.ChunksPerUpdate()} * config.actors.steps_per_chunk * config.env.num_envs;
  FLEET_RETURN_IF_ERROR(Require(batch >= num_minibatches, p + "num_minibatches",
                                "must not exceed the batch size (" + std::to_string(batch) + ")"));
  return OkStatus();
}

}  // namespace fleet::learner
