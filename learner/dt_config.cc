#include "learner/dt_config.h"

#include <cmath>

namespace fleet::learner {
namespace {

Status Require(bool ok, const std::string& key, const std::string& what) {
  if (ok) return OkStatus();
  return InvalidArgumentError("config key 'learner.dt." + key + "' " + what);
}

}  // namespace

Status DtConfig::Validate(const ExperimentConfig&) const {
  FLEET_RETURN_IF_ERROR(Require(context_len >= 1 && context_len <= 1000, "context_len",
                                "must be in [1, 1000]"));
  FLEET_RETURN_IF_ERROR(Require(max_episode_len >= 1, "max_episode_len", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(rtg_scale > 0 && std::isfinite(rtg_scale), "rtg_scale", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(n_layer >= 1, "n_layer", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(n_head >= 1, "n_head", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(embed_dim >= 1 && embed_dim % n_head == 0, "embed_dim",
                                "must be a positive multiple of n_head"));
  FLEET_RETURN_IF_ERROR(Require(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1)"));
  FLEET_RETURN_IF_ERROR(Require(activation == "relu" || activation == "gelu", "activation",
                                "must be 'relu' or 'gelu'"));
  FLEET_RETURN_IF_ERROR(Require(learning_rate > 0 && std::isfinite(learning_rate), "learning_rate",
                                "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(weight_decay >= 0 && std::isfinite(weight_decay), "weight_decay",
                                "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(warmup_steps >= 0, "warmup_steps", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Require(batch_size >= 1, "batch_size", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(grad_clip > 0 && std::isfinite(grad_clip), "grad_clip", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Require(train_steps >= 1, "train_steps", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(log_every >= 1, "log_every", "must be >= 1"));
  FLEET_RETURN_IF_ERROR(Require(std::isfinite(target_return), "target_return", "must be finite"));
  return OkStatus();
}

}  // namespace fleet::learner
