// `fleet collect CONFIG`: actors with a local policy (random, scripted or a checkpoint)
// and a recording store, no learner, until the store has recorded collect.episodes
// episodes or collect.steps steps. The store is supervised: if it dies it is restarted
// (store.max_restarts times) and recovers its dataset from the write-ahead log while the
// actors resend what it had not acknowledged. At the end the actors drain (every chunk
// they sent is acknowledged), the store seals its last shard, and summary.json holds the
// recorded totals next to the actors' acknowledged totals.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace fleet::orchestrator {

struct CollectOptions {
  std::string config_path;
  std::vector<std::string> overrides;  // "key=value"
  std::string run_dir;                 // default: runs/<name>-collect-<timestamp>
  std::string bin_dir;                 // holds the `fleet` executable
  // "local": child processes; "slurm": steps of the Slurm job it runs in (the script of
  // `fleet slurm submit --command collect`)
  std::string launcher = "local";
};

Status RunCollect(const CollectOptions& options);

}  // namespace fleet::orchestrator
