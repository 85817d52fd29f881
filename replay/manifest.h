// The JSON manifest beside every sealed shard (shard-NNNNN.h5.json): what the shard holds
// and how it was made. Written with Python's non-finite tokens (the spaces are Minari's
// serialization, whose unbounded boxes have Infinity bounds); readable with Python's json.
//
//   format: "fleet-d4rl", format_version: 4 (4 added infos/actor_epoch)
//   env_id, obs_dim, action_dim (0: discrete), discrete_actions, observation_space,
//   action_space, shard_index, total_steps, total_episodes,
//   optional_columns: the optional columns the shard has (replay/columns.h),
//   behaviour: what made the data (the policy and its evaluated return, or the datasets
//     and filter it was copied from), free-form; null when unknown,
//   config_yaml: the resolved config of the run that recorded it.
//
// Format 2 (before optional columns) always had infos/logprob and infos/value; reading
// such a manifest declares both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "replay/columns.h"

namespace fleet::replay {

inline constexpr int kDatasetFormat = 4;

struct Manifest {
  int format_version = kDatasetFormat;
  std::string env_id;
  int obs_dim = 0;
  int action_dim = 0;  // 0: discrete
  Json observation_space, action_space;
  int shard_index = 0;
  int64_t total_steps = 0, total_episodes = 0;
  std::vector<std::string> optional_columns;
  Json behaviour;
  std::string config_yaml;

  ShardLayout layout() const { return {format_version, obs_dim, action_dim, optional_columns}; }
  Json ToJson() const;
  // InvalidArgument naming `what` and the key on a missing or mistyped key, an unknown
  // optional column or a format newer than this build reads.
  static StatusOr<Manifest> FromJson(const Json& j, const std::string& what);

  static std::string PathFor(const std::string& shard_path) { return shard_path + ".json"; }
  // NotFound without a manifest, InvalidArgument for a malformed one.
  static StatusOr<Manifest> ReadFor(const std::string& shard_path);
  // Written to .tmp and renamed into place.
  Status WriteFor(const std::string& shard_path) const;
};

// Checks names against the optional columns (replay/columns.h); InvalidArgument naming
// an unknown one and the known ones.
Status CheckOptionalColumns(const std::vector<std::string>& names);

}  // namespace fleet::replay
