#include "replay/minari_export.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/experiment_config.h"
#include "common/json.h"
#include "envs/gymnasium_spec.h"
#include "envs/registry.h"
#include "replay/dataset_reader.h"
#include "replay/h5.h"
#include "replay/shard_reader.h"

namespace fleet::replay {
namespace {

namespace fs = std::filesystem;

// numpy's bool as h5py writes it: HDF5's 8-bit enum {FALSE, TRUE}.
h5::Id BoolType() {
  h5::Id t(H5Tenum_create(H5T_NATIVE_INT8));
  const int8_t v0 = 0, v1 = 1;
  H5Tenum_insert(t.get(), "FALSE", &v0);
  H5Tenum_insert(t.get(), "TRUE", &v1);
  return t;
}

// One Minari episode group from steps [s0, s0 + L) of `shard` and its episode e.
Status WriteEpisode(hid_t file, const Shard& shard, int64_t e, int64_t id, hid_t bool_type) {
  const StepColumns& st = shard.steps;
  const int64_t s0 = shard.episodes.start[e], L = shard.episodes.length[e];
  const int64_t D = shard.manifest.obs_dim, A = shard.manifest.action_dim;
  const std::string name = "episode_" + std::to_string(id);
  h5::Id g(H5Gcreate2(file, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!g.valid()) return UnavailableError("cannot create the Minari group " + name);
  FLEET_RETURN_IF_ERROR(h5::WriteAttribute(g.get(), "id", id));
  FLEET_RETURN_IF_ERROR(h5::WriteAttribute(g.get(), "total_steps", L));
  // the L observations acted on, then the one the episode ended in.
  std::vector<float> obs(st.observations.begin() + s0 * D, st.observations.begin() + (s0 + L) * D);
  const auto& fo = shard.episodes.final_observation;
  obs.insert(obs.end(), fo.begin() + e * D, fo.begin() + (e + 1) * D);
  FLEET_RETURN_IF_ERROR(h5::Write(g.get(), "observations", obs.data(), L + 1, D));
  if (A == 0) {
    FLEET_RETURN_IF_ERROR(h5::Write(g.get(), "actions", st.discrete_actions.data() + s0, L, 0));
  } else {
    FLEET_RETURN_IF_ERROR(h5::Write(g.get(), "actions", st.continuous_actions.data() + s0 * A, L, A));
  }
  const std::vector<double> rewards(st.rewards.begin() + s0, st.rewards.begin() + s0 + L);
  FLEET_RETURN_IF_ERROR(h5::Write(g.get(), "rewards", rewards.data(), L, 0));
  FLEET_RETURN_IF_ERROR(h5::Write(g.get(), "terminations", st.terminals.data() + s0, L, 0, bool_type));
  FLEET_RETURN_IF_ERROR(h5::Write(g.get(), "truncations", st.timeouts.data() + s0, L, 0, bool_type));
  return g.Close();
}

}  // namespace

StatusOr<MinariExportReport> ExportMinari(const std::string& dataset, const std::string& out,
                                          const MinariExportOptions& options) {
  FLEET_ASSIGN_OR_RETURN(DatasetReport report, InspectDataset(dataset));
  if (!report.ok()) {
    return DataLossError("dataset '" + dataset + "' does not verify; run `fleet dataset verify`");
  }
  if (report.shards.empty()) {
    return FailedPreconditionError("dataset '" + dataset + "' has no sealed shard, only a "
                                   "write-ahead log: `fleet dataset recover` seals it");
  }
  FLEET_ASSIGN_OR_RETURN(auto spec, envs::GetSpec(report.env_id));
  const ShardReadOptions columns{{kObservations.name, kDiscreteActions.name, kRewards.name,
                                  kTerminals.name, kTimeouts.name, kEpisodeStart.name,
                                  kEpisodeLength.name, kEpisodeFinalObservation.name}};
  MinariExportReport r;
  for (const auto& l : report.logs) {
    if (l.chunks > 0) {
      r.warnings.push_back(std::to_string(l.chunks) + " chunk(s) in " + l.path +
                           " are not in a sealed shard and not exported (a recording still "
                           "running, or crashed: `fleet dataset recover` seals them)");
    }
  }
  // The env options the data was collected with, from the first shard's manifest (the
  // run's config), for the Gymnasium env_spec; a manifest without a readable config
  // leaves the spec without them and says so.
  std::map<std::string, std::string> env_options;
  {
    FLEET_ASSIGN_OR_RETURN(Manifest first, Manifest::ReadFor(report.shards.front().path));
    StatusOr<ExperimentConfig> cfg =
        first.config_yaml.empty()
            ? StatusOr<ExperimentConfig>(NotFoundError("no config_yaml in the manifest"))
            : ParseExperimentConfig(first.config_yaml);
    if (cfg.ok()) {
      env_options = cfg->env.options;
    } else {
      r.warnings.push_back("env options unknown (" + report.shards.front().path + ".json: " +
                           cfg.status().ToString() + "); env_spec has the defaults");
    }
  }
  StatusOr<Json> env_spec = envs::GymnasiumEnvSpec(spec, env_options);
  if (!env_spec.ok()) r.warnings.push_back("no env_spec: " + env_spec.status().ToString());
  const std::string data_dir = out + "/data";
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return UnavailableError("cannot create '" + data_dir + "': " + ec.message());
  if (fs::exists(data_dir + "/metadata.json")) {
    return FailedPreconditionError("a Minari dataset already exists at '" + data_dir + "'");
  }
  const std::string h5_path = data_dir + "/main_data.hdf5";
  r.data_dir = data_dir;
  {
    FLEET_ASSIGN_OR_RETURN(h5::Id file, h5::CreateFile(h5_path, /*track_creation_order=*/true,
                                                      /*exclusive=*/true));
    const h5::Id bool_type = BoolType();
    for (const auto& shard_report : report.shards) {
      FLEET_ASSIGN_OR_RETURN(Shard shard, ReadShard(shard_report.path, columns));
      if (shard.episodes.final_observation.empty() && shard.episodes.size() > 0) {
        return FailedPreconditionError("'" + shard.path + "' has no episodes/final_observation "
                                       "(recorded in dataset format 1); Minari needs each "
                                       "episode's last observation");
      }
      for (int64_t e = 0; e < shard.episodes.size(); ++e) {
        FLEET_RETURN_IF_ERROR(WriteEpisode(file.get(), shard, e, r.episodes, bool_type.get()));
        ++r.episodes;
        r.steps += shard.episodes.length[e];
      }
    }
    FLEET_RETURN_IF_ERROR(file.Close());
  }
  std::string id = options.dataset_id;
  if (id.empty()) {
    id = spec.id;
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
    id = "fleet/" + id.substr(0, id.rfind("-v")) + "-v0";
  }
  // Minari keeps the spaces and the env spec as JSON strings inside its metadata.
  Json meta;
  meta["dataset_id"] = id;
  meta["minari_version"] = "0.5.0";
  meta["data_format"] = "hdf5";
  meta["jpeg_encoding"] = false;
  meta["total_episodes"] = r.episodes;
  meta["total_steps"] = r.steps;
  meta["dataset_size"] = static_cast<double>(fs::file_size(h5_path)) / 1e6;
  meta["algorithm_name"] = "fleet";
  meta["observation_space"] =
      DumpJson(envs::SpaceToJson(spec.observation_space), -1, NonFinite::kPython);
  meta["action_space"] = DumpJson(envs::SpaceToJson(spec.action_space), -1, NonFinite::kPython);
  if (env_spec.ok()) meta["env_spec"] = DumpJson(*env_spec, -1, NonFinite::kPython);
  FLEET_RETURN_IF_ERROR(WriteJsonFileAtomically(data_dir + "/metadata.json", meta));
  return r;
}

}  // namespace fleet::replay
