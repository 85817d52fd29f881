// `fleet plot RUN_DIR [RUN_DIR ...]`: learning curves from metrics.csv (a row every
// log_every updates) or evals.csv (a row per in-training evaluation) to SVG. One run
// is drawn as a line; several (e.g. seeds) as their mean with a min-max band, on a
// common x grid (linear interpolation, only where every run has data). No dependencies.
// Axes get round tick values; the title names the env (from summary.json or config.yaml);
// a return panel draws the env's reward threshold (summary.json's "threshold") as a
// dashed line; `--x wall` puts wall-clock seconds on the x axis. An offline run (a Decision
// Transformer: no env steps in its metrics.csv) is plotted by default from its evals.csv,
// its score against gradient steps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::orchestrator {

struct PlotOptions {
  std::vector<std::string> run_dirs;
  std::string out;  // default: <first run dir>/curves.svg
  // which file: "metrics", "evals" or "auto" (evals.csv for an offline run that has one,
  // else metrics.csv).
  std::string csv = "auto";
  // a column; "steps" stands for env_steps, or for update (gradient steps) in a file
  // without env steps; "wall" for wall_seconds.
  std::string x = "steps";
  // columns, one panel each; empty: mean_return_100 from metrics.csv (action_loss from an
  // offline run's), mean_return (and d4rl_score where the env has D4RL reference scores)
  // from evals.csv.
  std::vector<std::string> metrics;
  std::string title;
  // the line to draw on return panels; default: the first run's summary.json threshold.
  std::optional<double> threshold;
  bool no_threshold = false;
};

// Round tick values covering [lo, hi]: about `target` of them, spaced 1, 2 or 5 x 10^k,
// the first <= lo and the last >= hi. lo == hi gets a unit-wide range around it.
std::vector<double> NiceTicks(double lo, double hi, int target = 5);
// A tick label: 250000 -> "250k", 1500000 -> "1.5M", 0.25 -> "0.25".
std::string TickLabel(double v);

// Writes the SVG; returns its path.
StatusOr<std::string> PlotRuns(const PlotOptions& options);

}  // namespace fleet::orchestrator
