// Records the steps of accepted chunks to HDF5 with D4RL's flat key names, one complete
// episode after another: chunks interleave envs and actors, so steps are gathered per
// (actor, env) stream and an episode is written only once it ends. Steps of an episode
// still open when the writer closes are not written (the dataset holds whole episodes).
// Files are shards DIR/shard-00000.h5, -00001, ...: a new one starts once a shard holds
// max_shard_steps steps, at an episode boundary (episodes never span shards); each
// shard has its own episode index and JSON manifest.
//
// File layout (readable with h5py):
//   observations (n x obs_dim) f32   actions (n) i64 | (n x act_dim) f32
//   rewards (n) f32   terminals (n) u8   timeouts (n) u8
//   infos/policy_version (n) u64   infos/logprob (n) f32   infos/value (n) f32
//   infos/actor_id (n) u32
//   episodes/start, episodes/length (e) i64   episodes/return (e) f64
//   episodes/actor_id, episodes/env_index (e) u32
// plus a JSON manifest beside it. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
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
};

class EpisodeWriter {
 public:
  static StatusOr<std::unique_ptr<EpisodeWriter>> Create(const EpisodeWriterOptions& options);
  ~EpisodeWriter();

  // Adds every step of a validated chunk.
  Status Add(const proto::TrajectoryChunk& chunk);
  // Writes buffered episodes and the manifest; the file stays open.
  Status Flush();
  // Flushes and closes; called by the destructor if not called before.
  Status Close();

  // totals over all shards.
  uint64_t steps_written() const { return steps_written_; }
  uint64_t episodes_written() const { return episodes_written_; }
  int shards() const { return shards_opened_; }

 private:
  struct Columns {
    std::vector<float> obs, cont_actions, rewards, logprob, value;
    std::vector<int64_t> disc_actions;
    std::vector<uint8_t> terminals, timeouts;
    std::vector<uint64_t> version;
    std::vector<uint32_t> actor;
    int64_t size() const { return static_cast<int64_t>(rewards.size()); }
    void Append(const Columns& o);
    void Clear();
  };
  struct Impl;

  explicit EpisodeWriter(EpisodeWriterOptions options);
  std::string ShardPath(int index) const;
  // pending steps that trigger a write: flush_steps, or less to end a shard on time.
  int64_t FlushThreshold() const;
  Status OpenShard();
  Status WriteManifest();

  EpisodeWriterOptions options_;
  std::unique_ptr<Impl> impl_;
  std::map<std::pair<uint32_t, uint32_t>, Columns> open_;  // (actor, env) -> open episode
  Columns pending_;
  std::vector<int64_t> ep_start_, ep_length_;
  std::vector<double> ep_return_;
  std::vector<uint32_t> ep_actor_, ep_env_;
  uint64_t steps_written_ = 0, episodes_written_ = 0;
  int shard_index_ = 0;
  int shards_opened_ = 0;
  int64_t shard_steps_ = 0, shard_episodes_ = 0;
  bool closed_ = false;
};

}  // namespace fleet::replay
