#include "replay/dataset_copy.h"

#include <algorithm>
#include <filesystem>

#include "replay/episode_writer.h"
#include "replay/shard_reader.h"

namespace fleet::replay {

StatusOr<CopyReport> CopyEpisodes(const std::vector<std::string>& sources, const CopyOptions& o) {
  if (sources.empty()) return InvalidArgumentError("dataset copy: no source dataset");
  std::vector<std::vector<std::string>> shards;
  for (const auto& src : sources) {
    FLEET_ASSIGN_OR_RETURN(std::vector<std::string> files, ListShards(src));
    shards.push_back(std::move(files));
  }
  if (auto existing = ListShards(o.out); existing.ok()) {
    return FailedPreconditionError("dataset copy: '" + o.out + "' already holds a dataset");
  }
  // the manifests of each source's first shard: one env, one shape, the common columns.
  std::vector<Manifest> firsts;
  for (const auto& files : shards) {
    FLEET_ASSIGN_OR_RETURN(Manifest m, Manifest::ReadFor(files.front()));
    firsts.push_back(std::move(m));
  }
  const Manifest& base = firsts.front();
  std::vector<std::string> common = base.optional_columns;
  Json from = Json::array();
  for (size_t i = 0; i < firsts.size(); ++i) {
    const Manifest& m = firsts[i];
    if (m.env_id != base.env_id || m.obs_dim != base.obs_dim || m.action_dim != base.action_dim) {
      return InvalidArgumentError("dataset copy: '" + sources[i] + "' is " + m.env_id + " (obs " +
                                  std::to_string(m.obs_dim) + ", action " +
                                  std::to_string(m.action_dim) + "), '" + sources[0] + "' is " +
                                  base.env_id + " (obs " + std::to_string(base.obs_dim) +
                                  ", action " + std::to_string(base.action_dim) + ")");
    }
    std::erase_if(common, [&](const std::string& c) {
      return std::find(m.optional_columns.begin(), m.optional_columns.end(), c) ==
             m.optional_columns.end();
    });
    from.push_back({{"dataset", sources[i]}, {"behaviour", m.behaviour}});
  }
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) return UnavailableError("cannot create '" + o.out + "': " + ec.message());
  EpisodeWriterOptions wo;
  wo.dir = o.out;
  wo.max_shard_steps = o.shard_max_steps;
  wo.env_id = base.env_id;
  wo.obs_dim = base.obs_dim;
  wo.action_dim = base.action_dim;
  wo.observation_space = base.observation_space;
  wo.action_space = base.action_space;
  wo.optional_columns = common;
  wo.compression = o.compression;
  wo.config_yaml = base.config_yaml;
  wo.behaviour = {{"copied_from", from}, {"label", o.label}};
  if (o.max_policy_version) wo.behaviour["max_policy_version"] = *o.max_policy_version;
  FLEET_ASSIGN_OR_RETURN(auto writer, EpisodeWriter::Create(wo));
  const ShardLayout out_layout{kDatasetFormat, base.obs_dim, base.action_dim, common};
  CopyReport r;
  for (const auto& files : shards) {
    for (const std::string& file : files) {
      FLEET_ASSIGN_OR_RETURN(Shard shard, ReadShard(file));
      const ShardLayout in = shard.manifest.layout();
      const EpisodeColumns& ep = shard.episodes;
      if (ep.final_observation.empty() || ep.seed.empty() || shard.steps.chunk_sequence.empty()) {
        return FailedPreconditionError("dataset copy: '" + file + "' (dataset format " +
                                       std::to_string(shard.manifest.format_version) +
                                       ") lacks columns of format " + std::to_string(kDatasetFormat));
      }
      for (int64_t e = 0; e < ep.size(); ++e) {
        StepColumns steps = shard.steps.Slice(ep.start[e], ep.length[e], in);
        // format 3 and older: the actor epoch was not recorded (0: unknown)
        if (steps.actor_epoch.empty()) steps.actor_epoch.assign(steps.rewards.size(), 0);
        if (o.max_policy_version &&
            *std::max_element(steps.policy_version.begin(), steps.policy_version.end()) >
                *o.max_policy_version) {
          ++r.skipped_episodes;
          continue;
        }
        // optional columns not every source has are left out.
        StepColumns::ForEachColumn([&](const ColumnInfo& c, auto member) {
          if (c.optional && !out_layout.Allows(c)) (steps.*member).clear();
        });
        const std::span<const float> final_obs(ep.final_observation.data() + e * base.obs_dim,
                                               static_cast<size_t>(base.obs_dim));
        FLEET_RETURN_IF_ERROR(writer->AddEpisode(steps, ep.actor_id[e], ep.env_index[e], ep.seed[e],
                                                 final_obs, ep.cut[e] != 0));
        ++r.episodes;
        r.steps += ep.length[e];
      }
    }
  }
  FLEET_RETURN_IF_ERROR(writer->Close(CloseMode::kDropOpen));
  r.shards = writer->shards();
  if (r.episodes == 0) {
    return FailedPreconditionError("dataset copy: no episode passed the filter; nothing written");
  }
  return r;
}

}  // namespace fleet::replay
