// Reads and checks Fleet's HDF5 datasets (replay/columns.h, through shard_reader.h): totals and
// return statistics for `fleet dataset info`, and every consistency check for `fleet
// dataset verify` — all datasets present with matching lengths, contiguous episode index,
// episode ends matching terminals/timeouts, returns matching rewards, finite values, and
// the manifest's totals. A truncated or corrupt file is reported as a problem of that
// shard, never a crash. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace fleet::replay {

struct ShardReport {
  std::string path;
  int64_t steps = 0;
  int64_t episodes = 0;
  double return_mean = 0, return_std = 0, return_min = 0, return_max = 0;
  double length_mean = 0;
  std::vector<double> last_returns;  // the shard's last (up to) 100 episode returns
  std::vector<std::string> optional_columns;  // from its manifest
  Json behaviour;                             // from its manifest
  // episodes that ended (not cut at a recording's end) and the sum of their returns.
  int64_t complete_episodes = 0;
  double complete_return_sum = 0;
  std::vector<std::string> problems;  // empty: the shard is consistent
};

// A write-ahead log in the dataset folder (replay/wal.h): the open shard of a recording
// still running, or of one that crashed (its chunks are not in a sealed shard yet:
// `fleet dataset recover` seals them); or a damaged log that recovery kept aside.
struct LogReport {
  std::string path;
  int64_t chunks = 0;                 // readable chunk records
  bool torn_tail = false;             // a crash cut its last record (never acknowledged)
  std::vector<std::string> problems;  // damage (acknowledged data lost), unreadable
};

struct DatasetReport {
  std::string env_id;
  std::vector<ShardReport> shards;
  std::vector<LogReport> logs;
  int64_t steps = 0, episodes = 0;
  bool ok() const;
  // mean return of the dataset's last `n` episodes (NaN without episodes).
  double MeanLastReturns(size_t n = 100) const;
  // mean return of every episode that ended in the data (cut ones left out; NaN if none).
  double MeanCompleteReturn() const;
  int64_t CompleteEpisodes() const;
};

// `path` is a dataset directory (every shard-*.h5 and log in it) or one .h5 file.
// NotFound when there is neither a shard nor a log.
StatusOr<DatasetReport> InspectDataset(const std::string& path);

}  // namespace fleet::replay
