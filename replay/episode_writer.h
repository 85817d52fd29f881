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
// File layout (readable with h5py):
//   observations (n x obs_dim) f32   actions (n) i64 | (n x act_dim) f32
//   rewards (n) f32   terminals (n) u8   timeouts (n) u8
//   infos/policy_version (n) u64   infos/logprob (n) f32   infos/value (n) f32
//   infos/actor_id (n) u32   infos/chunk_sequence (n) u64
//   episodes/start, episodes/length (e) i64   episodes/return (e) f64
//   episodes/actor_id, episodes/env_index (e) u32   episodes/cut (e) u8
//   episodes/seed (e) u64: seed of the env's RNG stream (its first reset; later episodes
//   of the stream continue that generator)
//   episodes/final_observation (e x obs_dim) f32: the observation the episode ended in
// plus a JSON manifest beside it. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "proto/fleet.pb.h"

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
  // the env's spaces as JSON (envs::SpaceToJson), copied into the manifest.
  std::string observation_space_json = "null", action_space_json = "null";
  // deflate level of every dataset (0: no compression).
  int compression = 1;
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
  // Writes open episodes of `actor` (all actors: nullopt) as cut, truncated episodes.
  Status CutOpenEpisodes(std::optional<uint32_t> actor = std::nullopt);
  // Writes buffered episodes to the open shard's file (still .tmp).
  Status Flush();
  // Seals the open shard if it holds anything; called by the destructor (kDropOpen) if
  // not called before.
  Status Close(CloseMode mode = CloseMode::kDropOpen);

  // the open episodes, for the write-ahead log, and their restoration from it.
  void SnapshotOpen(proto::WalCheckpoint& out) const;
  void RestoreOpen(const proto::WalCheckpoint& checkpoint);

  // totals over all shards, sealed or open (written steps, buffered ones included).
  uint64_t steps_written() const { return steps_written_ + pending_.size(); }
  uint64_t episodes_written() const { return episodes_written_ + ep_start_.size(); }
  // steps and episodes of sealed shards only.
  uint64_t sealed_steps() const { return sealed_steps_; }
  uint64_t sealed_episodes() const { return sealed_episodes_; }
  // steps waiting in open episodes.
  uint64_t open_steps() const;
  int shards() const { return shards_sealed_; }
  int shard_index() const { return shard_index_; }
  std::string ShardPath(int index) const;

 private:
  struct Columns {
    std::vector<float> obs, cont_actions, rewards, logprob, value;
    std::vector<int64_t> disc_actions;
    std::vector<uint8_t> terminals, timeouts;
    std::vector<uint64_t> version, chunk_seq;
    std::vector<uint32_t> actor;
    std::vector<float> last_next_obs;  // open episodes: observation after the last step
    uint64_t seed = 0;                 // the env's RNG stream (env_seed_base + env index)
    int64_t size() const { return static_cast<int64_t>(rewards.size()); }
    void Append(const Columns& o);
    void Clear();
  };
  struct Impl;

  explicit EpisodeWriter(EpisodeWriterOptions options);
  Status OpenShard();
  Status Seal();
  Status WriteManifest();
  // moves a finished episode to the pending buffer.
  void EndEpisode(Columns& ep, uint32_t actor, uint32_t env, const float* final_obs, bool cut);

  EpisodeWriterOptions options_;
  std::unique_ptr<Impl> impl_;
  std::map<std::pair<uint32_t, uint32_t>, Columns> open_;  // (actor, env) -> open episode
  Columns pending_;
  std::vector<int64_t> ep_start_, ep_length_;
  std::vector<double> ep_return_;
  std::vector<uint32_t> ep_actor_, ep_env_;
  std::vector<uint8_t> ep_cut_;
  std::vector<uint64_t> ep_seed_;
  std::vector<float> ep_final_obs_;
  uint64_t steps_written_ = 0, episodes_written_ = 0;  // in files, sealed or open
  uint64_t sealed_steps_ = 0, sealed_episodes_ = 0;
  int shard_index_ = 0;
  int shards_sealed_ = 0;
  int64_t shard_steps_ = 0, shard_episodes_ = 0;
  bool closed_ = false;
};

}  // namespace fleet::replay
