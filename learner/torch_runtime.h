// Process-wide libtorch settings of the processes that train (the learner role, the
// update benchmark) and device selection.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"
#include "learner/pch.h"

namespace fleet::learner {

// Resolves "auto" to cuda when a GPU is visible.
torch::Device ResolveDevice(const std::string& name);

// Process-wide settings for fast CPU training, applied once by a process that runs PPO
// updates (the learner, the update benchmark):
// - denormals flushed to zero: tiny gradients (from the 0.01-gain policy head) slow x86
//   float math several-fold; measured 4.4 -> 3.1 ms per 1024-sample PPO step.
// - glibc malloc keeps freed memory: by default it returns the top of the heap to the
//   kernel once 128 KiB are free there (and serves blocks above a moving threshold with
//   mmap), so every minibatch's tensors, freed at its end, were page-faulted in and zeroed
//   again by the next: 25% of a 16384-sample 256-256 update's profile was kernel
//   page-fault time. The heap now stays at its peak, one update's working set.
void ConfigureCpuForTraining();


// Sizes OpenBLAS's own thread pool (returns `threads`; 0 when the process has no OpenBLAS).
// By default it takes every core and, while the learner runs single-threaded, its idle
// threads spin and yield: measured on the 2-core VM with another process on the second
// core, a Decision Transformer step took 1084 ms of wall-clock for 457 ms of CPU, and 592
// ms with one OpenBLAS thread (docs/RESULTS.md).
int SetBlasThreads(int threads);

// What the learner process sets once before training: learner.threads intra-op threads
// (Debian's libtorch starts with one) and as many OpenBLAS threads, and
// ConfigureCpuForTraining.
void ConfigureLearnerProcess(const ExperimentConfig& config);

bool CudaAvailable();

// An algorithm's torch state in a checkpoint directory: DIR/PREFIX<name>.pt for each
// module (the policy's is "model") and DIR/PREFIXoptimizer.pt. Save writes with the
// prefix (the checkpoint writer renames the files into place); Load reads the unprefixed
// names. `what` names the model in errors; a load error is DataLoss, a write error
// Unavailable.
using NamedModules = std::vector<std::pair<std::string, torch::nn::Module*>>;
Status SaveTorchState(const std::string& dir, const std::string& prefix, const std::string& what,
                      const NamedModules& modules, torch::optim::Optimizer& optimizer);
Status LoadTorchState(const std::string& dir, const std::string& what, const NamedModules& modules,
                      torch::optim::Optimizer& optimizer);

}  // namespace fleet::learner
