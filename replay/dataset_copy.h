// `fleet dataset copy SRC... --out DIR`: writes the episodes of one or more datasets into a
// new one, whole episodes only, optionally only those whose steps were all made by policy
// versions up to a bound. Makes D4RL's composite datasets from Fleet's own:
// medium-replay (a training run's recording up to the version that reached medium:
// --max-policy-version) and medium-expert (medium and expert together). The sources must be
// of one env with the same shapes; the copy keeps the optional columns every source has,
// and its manifests name the sources, their behaviour and the filter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace fleet::replay {

struct CopyOptions {
  std::string out;  // a new dataset folder (must not hold shards yet)
  std::optional<uint64_t> max_policy_version;
  int64_t shard_max_steps = 1000000;
  int compression = 1;
  std::string label;  // e.g. "medium-replay", into the manifests' behaviour
};

struct CopyReport {
  int64_t episodes = 0, steps = 0;
  int64_t skipped_episodes = 0;  // filtered out
  int shards = 0;
};

StatusOr<CopyReport> CopyEpisodes(const std::vector<std::string>& sources, const CopyOptions& options);

}  // namespace fleet::replay
