// What `fleet run` and `fleet collect` do before and after their processes run: the run
// directory (its name, the resolved config every role reads), config checks that need the
// env registry, the status line's number format, the closing summary.
#pragma once

#include <cstdint>
#include <string>

#include "common/experiment_config.h"
#include "common/status.h"
#include "envs/env.h"

namespace fleet::orchestrator {

// 'text' quoted for a POSIX shell (the Slurm script, the Kubernetes learner command).
std::string ShellQuote(const std::string& text);
// runs/NAME-YYYYmmdd-HHMMSS
std::string DefaultRunDir(const std::string& name);
// 1.2k, 3.40M
std::string FormatCount(double v);
// An unknown env id or env option, or sizes this machine cannot hold (CheckSizes), named
// as a config error before any process starts.
Status CheckEnv(const ExperimentConfig& cfg);
// About how many bytes a chunk of this config's actors serializes to.
int64_t EstimateChunkBytes(const ExperimentConfig& cfg, const envs::EnvSpec& spec);
// Sizes against the env's shapes and `memory_bytes` of memory: a chunk within
// store.max_chunk_bytes, the store's queue and an actor's chunks in flight within half
// the memory. InvalidArgument naming the key.
Status CheckSizes(const ExperimentConfig& cfg, const envs::EnvSpec& spec, int64_t memory_bytes);
// tcp transport: the CURVE keys every role uses, RUN_DIR/keys (made here, absolute path
// into run.curve_keys) unless run.curve_keys names a directory; loaded for this process.
Status PrepareTransportKeys(ExperimentConfig& cfg, const std::string& run_dir);
// Creates RUN_DIR/logs and writes the resolved RUN_DIR/config.yaml every role reads.
Status PrepareRunDir(const ExperimentConfig& cfg, const std::string& run_dir);
// Prints "fleet: VERB; summary in RUN_DIR/summary.json" and the summary itself.
void PrintSummary(const std::string& verb, const std::string& run_dir);

}  // namespace fleet::orchestrator
