// `fleet dataset export --format minari DATASET OUT`: rewrites a Fleet dataset in
// Minari's layout (Farama's offline-RL dataset format, storage "hdf5", dataset versions
// 0.4-0.5; the layout is taken from Minari's documentation and reader, not its code):
//
//   OUT/data/main_data.hdf5   one group per episode, episode_0 ... episode_{E-1}, with
//                             attributes id and total_steps and the datasets
//                             observations (L+1 x obs_dim: the L observations acted on,
//                             then the one the episode ended in), actions (L | L x A),
//                             rewards (L, float64), terminations, truncations (L, bool)
//   OUT/data/metadata.json    dataset_id, minari_version, data_format, totals, the
//                             spaces serialized as Minari does (JSON strings), and
//                             env_spec: the Gymnasium registration the Fleet env
//                             reproduces (envs/gymnasium_spec.h) with the run's
//                             env.options as kwargs
//
// `minari.MinariDataset("OUT/data")` loads it; with MINARI_DATASETS_PATH=ROOT and OUT =
// ROOT/DATASET_ID, `minari.load_dataset(DATASET_ID)` does too, and
// `recover_environment()` makes the Gymnasium original. Needs the final observations of
// format 2 datasets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::replay {

struct MinariExportOptions {
  std::string dataset_id;  // default: fleet/<env-id-lowercase>-v0
};

struct MinariExportReport {
  int64_t episodes = 0, steps = 0;
  std::string data_dir;  // OUT/data
  std::vector<std::string> warnings;  // what the export could not carry over
};

StatusOr<MinariExportReport> ExportMinari(const std::string& dataset, const std::string& out,
                                          const MinariExportOptions& options);

}  // namespace fleet::replay
