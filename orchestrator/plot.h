// `fleet plot RUN_DIR [RUN_DIR ...]`: learning curves from metrics.csv to SVG. One run
// is drawn as a line; several (e.g. seeds) as their mean with a min-max band, on a
// common x grid (linear interpolation, only where every run has data). No dependencies.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::orchestrator {

struct PlotOptions {
  std::vector<std::string> run_dirs;
  std::string out;  // default: <first run dir>/curves.svg
  std::string x = "env_steps";
  std::vector<std::string> metrics = {"mean_return_100"};
  std::string title;
};

// Writes the SVG; returns its path.
StatusOr<std::string> PlotRuns(const PlotOptions& options);

}  // namespace fleet::orchestrator
