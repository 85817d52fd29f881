// The store's durable recording: deduplication, the write-ahead log and the HDF5 shards
// together, so that every acknowledged chunk is in the dataset exactly once, also across
// a kill -9 of the store.
//
// Per accepted chunk: dedup check -> log record appended (replay/wal.h) -> dedup insert ->
// steps to the episode writer. The caller acknowledges only after Add returns OK. When
// the writer seals a shard, the next log segment is written (dedup state + open episodes)
// before the shard gets its final name, and the old segment is deleted after it.
//
// Recovery (Open): shard-N.h5 files are complete; everything else of the open shard is
// rebuilt from its log segment wal-(S+1).log, S the last complete shard: the .tmp files
// and other segments are removed, the checkpoint restores dedup state and open episodes,
// and the chunk records are replayed through the same path (a torn last record is cut).
// A log damaged inside (replay/wal.h) is renamed to wal-N.log.damaged and kept, never
// deleted; the readable chunks are replayed into a fresh segment, and recovery() says
// what was lost: the caller must fail loudly (the store exits with DATA_LOSS).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/experiment_config.h"
#include "common/logging.h"
#include "common/status.h"
#include "replay/dedup.h"
#include "replay/episode_writer.h"
#include "replay/wal.h"

namespace fleet::replay {

struct RecorderOptions {
  EpisodeWriterOptions writer;  // writer.dir is the dataset folder; on_seal is set here
  bool wal_fsync = false;       // fdatasync every record (power-loss safety, slower)
};

struct RecoveryReport {
  int sealed_shards = 0;         // complete shards found
  uint64_t replayed_chunks = 0;  // chunk records replayed from the log
  bool torn_tail = false;        // the log ended in a partial record (cut off)
  int removed_files = 0;         // leftovers of the interrupted shard (.tmp, stale logs)
  std::vector<WalDamage> damage; // byte ranges of the log that could not be read
  uint64_t damaged_bytes = 0;
  std::string kept_log;          // where the damaged log was kept
  bool damaged() const { return !damage.empty(); }
  // one line: what was recovered, what was lost, where the damaged log is
  std::string DescribeDamage() const;
};

// DIR/recording.json: what the recorder records with (a manifest without totals: env,
// dims, spaces, optional columns, behaviour, config), written at every Open, so that
// `fleet dataset recover` rebuilds shards from a log without the run's config.
inline constexpr const char* kRecordingFile = "recording.json";
// The most episodes a recording made with `cfg` stores: collect.episodes for a collect
// (not `learner_fed`), else no limit (0).
uint64_t RecordingEpisodeLimit(const ExperimentConfig& cfg, bool learner_fed);
// The writer options of the recording in `dir` (its recording.json), for recovery.
StatusOr<EpisodeWriterOptions> RecordingOptions(const std::string& dir);

class Recorder {
 public:
  static StatusOr<std::unique_ptr<Recorder>> Open(RecorderOptions options);
  ~Recorder();

  // `payload` is the chunk as received, `chunk` the same parsed and validated. Returns
  // true if stored, false if it was a duplicate (stored before). An error means nothing
  // was acknowledged-safe: do not acknowledge.
  // A full disk is ResourceExhausted ("disk full: ..."), naming the dataset folder.
  StatusOr<bool> Add(std::string_view payload, const proto::TrajectoryChunk& chunk);
  // Cuts open episodes, seals the last shard, leaves the log for the next one.
  Status Close();
  // Stops without writing anything more (after Add failed on a full disk): the log holds
  // every acknowledged chunk, and recovery on a disk with room rebuilds the open shard.
  void Abandon();

  const RecoveryReport& recovery() const { return recovery_; }
  uint64_t steps_written() const { return writer_->steps_written(); }
  uint64_t episodes_written() const { return writer_->episodes_written(); }
  uint64_t open_steps() const { return writer_->open_steps(); }
  int shards() const { return writer_->shards(); }
  std::string WalPath(int shard) const;

 private:
  explicit Recorder(RecorderOptions o) : o_(std::move(o)), log_(GetLogger("store")) {}
  Status Recover();
  // `st`, or ResourceExhausted naming the folder when it failed on a full disk
  Status Written(Status st) const;
  Status OnSeal(int next_shard);
  // the steps of a chunk already in the log (accepted) into dedup and the writer.
  Status Apply(const proto::TrajectoryChunk& chunk);

  RecorderOptions o_;
  std::shared_ptr<spdlog::logger> log_;
  DedupIndex dedup_;
  std::unique_ptr<EpisodeWriter> writer_;
  std::unique_ptr<WalWriter> wal_;
  std::string retired_wal_;  // segment of the shard just sealed, deleted after its rename
  RecoveryReport recovery_;
  bool closed_ = false;
};

}  // namespace fleet::replay
