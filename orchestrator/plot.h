// `fleet plot RUN_DIR [RUN_DIR ...]`: learning curves from metrics.csv to SVG. One run
// is drawn as a line; several (e.g. seeds) as their mean with a min-max band, on a
// common x grid (linear interpolation, only where every run has data). No dependencies.
// Axes get round tick values; the title names the env (from summary.json or config.yaml);
// a return panel draws the env's reward threshold (summary.json's "threshold") as a
// dashed line; `--x wall` puts wall-clock seconds on the x axis.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::orchestrator {

struct PlotOptions {
  std::vector<std::string> run_dirs;
  std::string out;  // default: <first run dir>/curves.svg
  // a metrics.csv column; "steps" and "wall" stand for env_steps and wall_seconds.
  std::string x = "env_steps";
  std::vector<std::string> metrics = {"mean_return_100"};
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
