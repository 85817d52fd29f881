#include "replay/manifest.h"

namespace fleet::replay {

Status CheckOptionalColumns(const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    bool known = false;
    std::string all;
    for (const ColumnInfo* c : kOptionalColumns) {
      known = known || n == c->name;
      all += (all.empty() ? "" : ", ") + std::string(c->name);
    }
    if (!known) return InvalidArgumentError("unknown optional column '" + n + "' (known: " + all + ")");
  }
  return OkStatus();
}

Json Manifest::ToJson() const {
  Json j;
  j["format"] = "fleet-d4rl";
  j["format_version"] = format_version;
  j["env_id"] = env_id;
  j["obs_dim"] = obs_dim;
  j["action_dim"] = action_dim;
  j["discrete_actions"] = action_dim == 0;
  j["observation_space"] = observation_space;
  j["action_space"] = action_space;
  j["shard_index"] = shard_index;
  j["total_steps"] = total_steps;
  j["total_episodes"] = total_episodes;
  j["optional_columns"] = optional_columns;
  j["behaviour"] = behaviour;
  j["config_yaml"] = config_yaml;
  return j;
}

StatusOr<Manifest> Manifest::FromJson(const Json& j, const std::string& what) {
  Manifest m;
  FLEET_ASSIGN_OR_RETURN(std::string format, JsonMember<std::string>(j, "format", what));
  if (format != "fleet-d4rl") {
    return InvalidArgumentError(what + " is not a Fleet dataset manifest (format '" + format + "')");
  }
  FLEET_ASSIGN_OR_RETURN(m.format_version, JsonMember<int>(j, "format_version", what));
  if (m.format_version > kDatasetFormat || m.format_version < 1) {
    return InvalidArgumentError(what + " has dataset format " + std::to_string(m.format_version) +
                                "; this build reads formats 1 to " + std::to_string(kDatasetFormat));
  }
  FLEET_ASSIGN_OR_RETURN(m.env_id, JsonMember<std::string>(j, "env_id", what));
  FLEET_ASSIGN_OR_RETURN(m.obs_dim, JsonMember<int>(j, "obs_dim", what));
  FLEET_ASSIGN_OR_RETURN(m.action_dim, JsonMember<int>(j, "action_dim", what));
  FLEET_ASSIGN_OR_RETURN(m.total_steps, JsonMember<int64_t>(j, "total_steps", what));
  FLEET_ASSIGN_OR_RETURN(m.total_episodes, JsonMember<int64_t>(j, "total_episodes", what));
  FLEET_ASSIGN_OR_RETURN(m.shard_index, JsonMember<int>(j, "shard_index", what));
  if (m.obs_dim < 1 || m.action_dim < 0 || m.total_steps < 0 || m.total_episodes < 0) {
    return InvalidArgumentError(what + " has a negative or zero size");
  }
  // written by every format; null in shards recorded before spaces were.
  m.observation_space = j.value("observation_space", Json());
  m.action_space = j.value("action_space", Json());
  m.config_yaml = j.value("config_yaml", std::string());
  m.behaviour = j.value("behaviour", Json());
  if (m.format_version >= 3) {
    FLEET_ASSIGN_OR_RETURN(m.optional_columns,
                           JsonMember<std::vector<std::string>>(j, "optional_columns", what));
    if (Status st = CheckOptionalColumns(m.optional_columns); !st.ok()) {
      return InvalidArgumentError(what + ": " + st.message());
    }
  } else {
    m.optional_columns = {kLogprob.name, kValue.name};
  }
  return m;
}

StatusOr<Manifest> Manifest::ReadFor(const std::string& shard_path) {
  const std::string path = PathFor(shard_path);
  FLEET_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  return FromJson(j, "manifest '" + path + "'");
}

Status Manifest::WriteFor(const std::string& shard_path) const {
  return WriteJsonFileAtomically(PathFor(shard_path), ToJson(), NonFinite::kPython);
}

}  // namespace fleet::replay
