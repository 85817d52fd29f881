// The Gymnasium registration each Fleet env reproduces, as Gymnasium's EnvSpec.to_json()
// writes it: what gymnasium.make needs to build the original (Minari's env_spec, so that
// `MinariDataset.recover_environment()` works on exported datasets).
#pragma once

#include <map>
#include <string>

#include "common/json.h"
#include "common/status.h"
#include "envs/env.h"

namespace fleet::envs {

// EnvSpec.to_json() of the Gymnasium environment behind `spec.id`, with `options` (Fleet's
// env.options, named as Gymnasium's keyword arguments) added to the registration's own
// kwargs: "true"/"false" become booleans, numbers numbers, anything else a string.
// NotFound for an id with no Gymnasium counterpart.
StatusOr<Json> GymnasiumEnvSpec(const EnvSpec& spec,
                                const std::map<std::string, std::string>& options);

}  // namespace fleet::envs
