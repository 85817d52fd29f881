#include "learner/pg_config.h"

#include <cmath>
#include <string>

namespace fleet::learner {
namespace {

Status Require(bool ok, const std::string& key, const std::string& what) {
  if (ok) return OkStatus();
  return InvalidArgumentError("config key '" + key + "' " + what);
}

}  // namespace

Status ReinforceConfig::Validate(const ExperimentConfig& config) const {
  const std::string p = "learner.reinforce.";
  FLEET_RETURN_IF_ERROR(Require(learning_rate > 0, p + "learning_rate", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(gamma > 0 && gamma <= 1, p + "gamma", "must be in (0, 1]"));
  FLEET_RETURN_IF_ERROR(Require(vf_coef >= 0, p + "vf_coef", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(ent_coef >= 0, p + "ent_coef", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(max_grad_norm >= 0, p + "max_grad_norm", "must be >= 0 (0: no clipping)"));
  return OkStatus();
}

Status GrpoConfig::Validate(const ExperimentConfig& config) const {
  const std::string p = "learner.grpo.";
  FLEET_RETURN_IF_ERROR(Require(learning_rate > 0, p + "learning_rate", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(update_epochs >= 1, p + "update_epochs", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(num_minibatches >= 1, p + "num_minibatches", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(clip_coef > 0, p + "clip_coef", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(ent_coef >= 0, p + "ent_coef", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(kl_coef >= 0, p + "kl_coef", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(ref_update_every >= 0, p + "ref_update_every", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(adv_eps > 0, p + "adv_eps", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(max_grad_norm > 0, p + "max_grad_norm", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(max_group_wait >= 1, p + "max_group_wait", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(supervision == "outcome" || supervision == "process",
                                p + "supervision", "must be 'outcome' or 'process', not '" +
                                                       supervision + "'"));
  if (config.learner.algo == "grpo") {
    FLEET_RETURN_IF_ERROR(Require(config.env.group_size >= 2, "env.group_size",
                                  "must be >= 2 for learner.algo 'grpo' (the episodes of a group "
                                  "start from one seed; it is " +
                                      std::to_string(config.env.group_size) + ")"));
  }
  return OkStatus();
}

}  // namespace fleet::learner
