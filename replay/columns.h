// The columns of a Fleet dataset shard, declared once. Every writer and reader of shards
// (episode_writer, shard_reader and through it dataset_reader, the samplers and the Minari
// export) iterates over these lists instead of naming datasets itself.
//
// Per step (n rows), D4RL's flat keys plus Fleet's infos:
//   observations (n x obs_dim) f32        actions (n) i64 | (n x action_dim) f32
//   rewards (n) f32   terminals (n) u8   timeouts (n) u8
//   infos/policy_version (n) u64   infos/actor_id (n) u32   infos/chunk_sequence (n) u64
//   infos/actor_epoch (n) u64: which process of the actor made the step (a restarted actor,
//     or a collect resumed into the same folder, starts its sequences again at 0);
//     (actor_id, actor_epoch, chunk_sequence) names a chunk
//   infos/logprob (n) f32, infos/value (n) f32: optional, recorded only where the behaviour
//     policy produces them (a PPO learner's actors: both; a random policy: logprob;
//     scripted: neither); the manifest lists those a shard has ("optional_columns").
// Per episode (e rows), the episode index:
//   episodes/start, episodes/length (e) i64   episodes/return (e) f64
//   episodes/actor_id, episodes/env_index (e) u32   episodes/cut (e) u8
//   episodes/seed (e) u64: the seed of the env's RNG stream (its first reset; later
//     episodes of the stream continue that generator); under grouped seeding
//     (env.group_size > 1) the seed this episode was reset with, except for an episode
//     cut at close (its seed is reported only when it ends): the stream's seed
//   episodes/final_observation (e x obs_dim) f32: the observation the episode ended in
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fleet::replay {

enum class ColumnWidth : uint8_t {
  kScalar,            // 1-d
  kObservation,       // x obs_dim
  kDiscreteAction,    // 1-d, discrete action spaces only
  kContinuousAction,  // x action_dim, continuous action spaces only
};

struct ColumnInfo {
  const char* name;  // the HDF5 dataset path
  ColumnWidth width;
  bool optional;
  // the first dataset format that always has the column (older shards may lack it):
  // format 1 had no infos/chunk_sequence, episodes/cut or episodes/final_observation;
  // format 2 shards recorded before episode seeds have no episodes/seed; format 3 had no
  // infos/actor_epoch.
  int since_format;
};

inline constexpr ColumnInfo kObservations{"observations", ColumnWidth::kObservation, false, 1};
inline constexpr ColumnInfo kDiscreteActions{"actions", ColumnWidth::kDiscreteAction, false, 1};
inline constexpr ColumnInfo kContinuousActions{"actions", ColumnWidth::kContinuousAction, false, 1};
inline constexpr ColumnInfo kRewards{"rewards", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kTerminals{"terminals", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kTimeouts{"timeouts", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kPolicyVersion{"infos/policy_version", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kActorId{"infos/actor_id", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kChunkSequence{"infos/chunk_sequence", ColumnWidth::kScalar, false, 2};
inline constexpr ColumnInfo kActorEpoch{"infos/actor_epoch", ColumnWidth::kScalar, false, 4};
inline constexpr ColumnInfo kLogprob{"infos/logprob", ColumnWidth::kScalar, true, 1};
inline constexpr ColumnInfo kValue{"infos/value", ColumnWidth::kScalar, true, 1};

inline constexpr ColumnInfo kEpisodeStart{"episodes/start", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kEpisodeLength{"episodes/length", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kEpisodeReturn{"episodes/return", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kEpisodeActorId{"episodes/actor_id", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kEpisodeEnvIndex{"episodes/env_index", ColumnWidth::kScalar, false, 1};
inline constexpr ColumnInfo kEpisodeCut{"episodes/cut", ColumnWidth::kScalar, false, 2};
inline constexpr ColumnInfo kEpisodeSeed{"episodes/seed", ColumnWidth::kScalar, false, 3};
inline constexpr ColumnInfo kEpisodeFinalObservation{"episodes/final_observation",
                                                     ColumnWidth::kObservation, false, 2};

// The optional columns by name ("infos/logprob", ...), for manifests and --record-infos.
inline constexpr const ColumnInfo* kOptionalColumns[] = {&kLogprob, &kValue};

// What decides which columns a shard has and their widths.
struct ShardLayout {
  int format_version = 0;
  int obs_dim = 0;
  int action_dim = 0;  // 0: discrete
  std::vector<std::string> optional_columns;

  // Whether a shard of this layout must have `c` (false for the action column of the other
  // kind of space, undeclared optional columns and columns newer than the format).
  bool Requires(const ColumnInfo& c) const;
  // Whether `c` belongs to this layout at all (Requires, or a column an older format may
  // have without promising it).
  bool Allows(const ColumnInfo& c) const;
  // The second dimension of `c`'s dataset; 0 for a 1-d one.
  uint64_t Cols(const ColumnInfo& c) const;
};

// The step columns of a run of steps, typed. ForEachColumn lists them with their member:
//   f(const ColumnInfo&, std::vector<T> StepColumns::*)
struct StepColumns {
  std::vector<float> observations;
  std::vector<int64_t> discrete_actions;
  std::vector<float> continuous_actions;
  std::vector<float> rewards;
  std::vector<uint8_t> terminals, timeouts;
  std::vector<uint64_t> policy_version;
  std::vector<uint32_t> actor_id;
  std::vector<uint64_t> chunk_sequence;
  std::vector<uint64_t> actor_epoch;
  std::vector<float> logprob, value;

  template <class F>
  static void ForEachColumn(F&& f) {
    f(kObservations, &StepColumns::observations);
    f(kDiscreteActions, &StepColumns::discrete_actions);
    f(kContinuousActions, &StepColumns::continuous_actions);
    f(kRewards, &StepColumns::rewards);
    f(kTerminals, &StepColumns::terminals);
    f(kTimeouts, &StepColumns::timeouts);
    f(kPolicyVersion, &StepColumns::policy_version);
    f(kActorId, &StepColumns::actor_id);
    f(kChunkSequence, &StepColumns::chunk_sequence);
    f(kActorEpoch, &StepColumns::actor_epoch);
    f(kLogprob, &StepColumns::logprob);
    f(kValue, &StepColumns::value);
  }

  int64_t size() const { return static_cast<int64_t>(rewards.size()); }
  // Appends every column of `other` (capacity is kept by Clear).
  void Append(const StepColumns& other);
  // Steps [start, start + length) of every non-empty column (`layout` gives the widths).
  StepColumns Slice(int64_t start, int64_t length, const ShardLayout& layout) const;
  void Clear();
};

// The episode index, typed, likewise.
struct EpisodeColumns {
  std::vector<int64_t> start, length;
  std::vector<double> episode_return;
  std::vector<uint32_t> actor_id, env_index;
  std::vector<uint8_t> cut;
  std::vector<uint64_t> seed;
  std::vector<float> final_observation;

  template <class F>
  static void ForEachColumn(F&& f) {
    f(kEpisodeStart, &EpisodeColumns::start);
    f(kEpisodeLength, &EpisodeColumns::length);
    f(kEpisodeReturn, &EpisodeColumns::episode_return);
    f(kEpisodeActorId, &EpisodeColumns::actor_id);
    f(kEpisodeEnvIndex, &EpisodeColumns::env_index);
    f(kEpisodeCut, &EpisodeColumns::cut);
    f(kEpisodeSeed, &EpisodeColumns::seed);
    f(kEpisodeFinalObservation, &EpisodeColumns::final_observation);
  }

  int64_t size() const { return static_cast<int64_t>(start.size()); }
  void Clear();
};

}  // namespace fleet::replay
