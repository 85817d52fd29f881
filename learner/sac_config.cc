#include "learner/sac_config.h"

#include <string>

namespace fleet::learner {
namespace {

Status Check(bool ok, const std::string& key, const std::string& what) {
  return ok ? OkStatus() : InvalidArgumentError("learner.sac." + key + ": " + what);
}

}  // namespace

Status SacConfig::Validate() const {
  FLEET_RETURN_IF_ERROR(Check(!hidden.empty(), "hidden", "needs at least one layer"));
  for (int h : hidden) FLEET_RETURN_IF_ERROR(Check(h > 0, "hidden", "layer widths must be > 0"));
  FLEET_RETURN_IF_ERROR(Check(batch_size > 0, "batch_size", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Check(q_lr > 0, "q_lr", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Check(policy_lr > 0, "policy_lr", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Check(gamma >= 0 && gamma <= 1, "gamma", "must be in [0, 1]"));
  FLEET_RETURN_IF_ERROR(Check(tau > 0 && tau <= 1, "tau", "must be in (0, 1]"));
  FLEET_RETURN_IF_ERROR(Check(policy_frequency > 0, "policy_frequency", "must be > 0"));
  FLEET_RETURN_IF_ERROR(
      Check(target_network_frequency > 0, "target_network_frequency", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Check(learning_starts >= 0, "learning_starts", "must be >= 0"));
  FLEET_RETURN_IF_ERROR(Check(alpha > 0, "alpha", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Check(publish_every > 0, "publish_every", "must be > 0"));
  FLEET_RETURN_IF_ERROR(Check(log_every > 0, "log_every", "must be > 0"));
  return OkStatus();
}

}  // namespace fleet::learner
