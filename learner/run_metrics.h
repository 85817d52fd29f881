// Bookkeeping of a training run: finished episodes (mean return of the last 100), env
// steps, the first time the mean reaches the env's reward threshold, metrics.csv rows
// and summary.json. No libtorch; shared by every algorithm. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "proto/checkpoint.pb.h"

namespace fleet::learner {

// A run's CSV (metrics.csv, evals.csv: the first column is the update) as a resumed run
// must see it: the header and the rows of updates <= keep_updates. Rows written after the
// checkpoint by the run that crashed or stopped are dropped; the resumed run writes them
// again. Rows are written every log_every updates, so this goes by the update column,
// not by counting rows. A missing file is left missing.
Status TrimCsvToUpdate(const std::string& path, int64_t keep_updates);

class RunMetrics {
 public:
  // `t0` is the start of the run (the orchestrator's launch time when known).
  RunMetrics(std::optional<double> threshold, std::chrono::system_clock::time_point t0);

  void AddEpisode(double episode_return, int64_t length);
  void AddEnvSteps(int64_t steps) { env_steps_ += steps; }

  int64_t env_steps() const { return env_steps_; }
  int64_t episodes() const { return episodes_; }
  // NaN while no episode has finished.
  double mean_return_100() const;
  double mean_length_100() const;
  double wall_seconds() const;
  std::optional<double> threshold() const { return threshold_; }
  std::optional<int64_t> threshold_step() const { return threshold_step_; }
  std::optional<double> threshold_seconds() const { return threshold_seconds_; }
  // Records the threshold crossing if it happened; call after each batch of episodes.
  void CheckThreshold();

  // metrics.csv: the header is written with the first row; columns are fixed by the
  // first row's keys (in order). With keep_updates >= 0 (resuming), the existing file's
  // rows of updates up to keep_updates are kept (TrimCsvToUpdate) and appended to.
  Status OpenCsv(const std::string& path, int64_t keep_updates = -1);

  // Counters and the last 100 episodes (for checkpoints); Restore also moves the start
  // time back by the saved wall-clock, so wall_seconds continues.
  proto::RunMetricsState SaveState() const;
  Status RestoreState(const proto::RunMetricsState& state);
  Status WriteRow(const std::vector<std::pair<std::string, double>>& row);

  // summary.json with the contract's keys, then the members of `extra`; NaN and
  // infinities are written as null.
  Status WriteSummary(const std::string& path, const Json& extra) const;

 private:
  std::optional<double> threshold_;
  std::chrono::system_clock::time_point t0_;
  std::deque<double> last_100_;
  std::deque<int64_t> last_100_lengths_;
  int64_t episodes_ = 0;
  int64_t env_steps_ = 0;
  std::optional<int64_t> threshold_step_;
  std::optional<double> threshold_seconds_;
  std::ofstream csv_;
  std::vector<std::string> columns_;
};

}  // namespace fleet::learner
