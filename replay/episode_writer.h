// Records the steps of accepted chunks to HDF5 with D4RL's flat key names, one complete
// episode after another: chunks interleave envs and actors, so steps are gathered per
// (actor, env) stream and an episode is written only once it ends.
//
// Shards: DIR/shard-00000.h5, -00001, ... The open shard is written as shard-N.h5.tmp;
// once it holds max_shard_steps steps it is sealed at the next chunk boundary (episodes
// never span shards): its index and JSON manifest are written, the file closed, the
// `on_seal` hook runs (the store writes its next write-ahead-log segment there) and the
// file is renamed to shard-N.h5. A file named shard-N.h5 is therefore always complete.
// Close(kCutOpen) first writes every still-open episode, marked truncated (timeouts = 1 at
// its last step, episodes/cut = 1), so no accepted step is left out; kDropOpen leaves
// them out.
//
// The columns and the manifest are replay/columns.h and replay/manifest.h. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "proto/fleet.pb.h"
#include "replay/columns.h"

namespace fleet::replay {

struct EpisodeWriterOptions {
  std::string dir;  // shards go here
  // start a new shard after this many steps (0: one shard).
  int64_t max_shard_steps = 0;
  std::string env_id;
  int obs_dim = 0;
  int action_dim = 0;  // 0: discrete
  // steps buffered in memory before a write to the file.
  int flush_steps = 1 << 16;
  // extra JSON object stored as "config" in the manifest (the resolved run config).
  std::string config_yaml;
  // the env's spaces (envs::SpaceToJson), copied into the manifest.
  Json observation_space, action_space;
  // the optional columns to record (replay/columns.h: "infos/logprob", "infos/value");
  // every chunk added must carry them.
  std::vector<std::string> optional_columns;
  // what made the data (the policy, its evaluated return, ...), copied into the manifest.
  Json behaviour;
  // deflate level of every dataset (0: no compression).
  int compression = 1;
  // stop at this many episodes in the dataset (0: no limit): episodes that end after
  // it is reached are not written (counted in episodes_over_limit), so a collect of N
  // episodes stores exactly N, whatever its actors had under way when it stopped them.
  uint64_t max_episodes = 0;
  // where numbering starts and the totals so far (a store recovering its log).
  int first_shard = 0;
  uint64_t steps_before = 0, episodes_before = 0;
  // runs after a shard is sealed and before it is renamed to its final name; an error
  // leaves the shard as .tmp and fails the Add. Argument: the next shard's index.
  std::function<Status(int)> on_seal;
};

enum class CloseMode { kDropOpen, kCutOpen };

class EpisodeWriter {
 public:
  static StatusOr<std::unique_ptr<EpisodeWriter>> Create(const EpisodeWriterOptions& options);
  ~EpisodeWriter();

  // Adds every step of a validated chunk; seals the shard after it if it is full.
  Status Add(const proto::TrajectoryChunk& chunk);
  // Adds one whole episode as it is (copied from another dataset, say): `steps` holds
  // every column of this writer's layout for its steps; `final_obs` (obs_dim) or empty.
  // InvalidArgument when a column is missing or of the wrong size.
  Status AddEpisode(const StepColumns& steps, uint32_t actor, uint32_t env, uint64_t seed,
                    std::span<const float> final_obs, bool cut);
  // Writes open episodes of `actor` (all actors: nullopt) as cut, truncated episodes.
  Status CutOpenEpisodes(std::optional<uint32_t> actor = std::nullopt);
  // Writes buffered episodes to the open shard's file (still .tmp).
  Status Flush();
  // Seals the open shard if it holds anything; called by the destructor (kDropOpen) if
  // not called before.
  Status Close(CloseMode mode = CloseMode::kDropOpen);
  // Closes without writing anything more (after a write failed: a full disk): the open
  // shard's .tmp file stays as it is, for recovery from the log to remove.
  void Abandon();

  // the open episodes, for the write-ahead log, and their restoration from it.
  void SnapshotOpen(proto::WalCheckpoint& out) const;
  void RestoreOpen(const proto::WalCheckpoint& checkpoint);

  // totals over all shards, sealed or open (written steps, buffered ones included).
  uint64_t steps_written() const { return steps_written_ + pending_.size(); }
  uint64_t episodes_written() const { return episodes_written_ + pending_index_.size(); }
  // episodes ended after max_episodes was reached, and their steps: not written.
  uint64_t episodes_over_limit() const { return episodes_over_limit_; }
  uint64_t steps_over_limit() const { return steps_over_limit_; }
  // steps and episodes of sealed shards only.
  uint64_t sealed_steps() const { return sealed_steps_; }
  uint64_t sealed_episodes() const { return sealed_episodes_; }
  // steps waiting in open episodes.
  uint64_t open_steps() const;
  int shards() const { return shards_sealed_; }
  int shard_index() const { return shard_index_; }
  std::string ShardPath(int index) const;

 private:
  // the steps of one (actor, env) stream's episode so far.
  struct OpenEpisode {
    StepColumns steps;
    std::vector<float> last_next_obs;  // the observation after the last step
    uint64_t seed = 0;                 // the env's RNG stream (env_seed_base + env index)
  };
  struct Impl;

  explicit EpisodeWriter(EpisodeWriterOptions options);
  Status OpenShard();
  Status Seal();
  Status WriteManifest();
  ShardLayout layout() const;
  // moves a finished episode to the pending buffer.
  void EndEpisode(OpenEpisode& ep, uint32_t actor, uint32_t env, const float* final_obs, bool cut);

  EpisodeWriterOptions options_;
  bool record_logprob_ = false, record_value_ = false;
  std::unique_ptr<Impl> impl_;
  std::map<std::pair<uint32_t, uint32_t>, OpenEpisode> open_;  // (actor, env) -> episode
  StepColumns pending_;            // finished episodes' steps, not yet in the file
  EpisodeColumns pending_index_;   // and their index rows
  uint64_t steps_written_ = 0, episodes_written_ = 0;  // in files, sealed or open
  uint64_t episodes_over_limit_ = 0, steps_over_limit_ = 0;
  uint64_t sealed_steps_ = 0, sealed_episodes_ = 0;
  int shard_index_ = 0;
  int shards_sealed_ = 0;
  int64_t shard_steps_ = 0, shard_episodes_ = 0;
  bool closed_ = false;
};

}  // namespace fleet::replay
